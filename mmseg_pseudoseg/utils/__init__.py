from .config_checks import check_custom_imports, registered_type_names
from .tool_config import load_tool_config, require_files, run_launched

__all__ = ['check_custom_imports', 'load_tool_config', 'registered_type_names',
           'require_files', 'run_launched']

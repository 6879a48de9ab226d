from .config_checks import check_custom_imports, registered_type_names
from .tool_config import load_tool_config, parse_tool_args, run_launched

__all__ = ['check_custom_imports', 'load_tool_config', 'registered_type_names',
           'parse_tool_args', 'run_launched']

from .config_checks import check_custom_imports, registered_type_names
from .config_tree import iter_config_dicts
from .resume_checks import check_resume_source
from .tool_config import (load_tool_config, parse_tool_args, run_launched,
                          summary_line, track_jobs)

__all__ = ['check_custom_imports', 'check_resume_source', 'iter_config_dicts',
           'load_tool_config', 'registered_type_names', 'parse_tool_args',
           'run_launched', 'summary_line', 'track_jobs']

from .config_checks import check_custom_imports, registered_type_names

__all__ = ['check_custom_imports', 'registered_type_names']

"""Checks of constructor arguments (the config boundary of a component)."""

__all__ = ['check_int']


def check_int(owner: str, name: str, value, minimum: int) -> int:
    """Return ``value`` if it is an int ``>= minimum``, else raise naming ``owner``
    (the component) and ``name`` (its argument)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f'{owner}: {name} must be an int >= {minimum}, got '
                         f'{value!r}')
    return value

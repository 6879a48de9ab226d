from .deferred_checks import DeferredChecks

__all__ = ['DeferredChecks']

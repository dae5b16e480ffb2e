import importlib

from pyimagesearch.errors import MissingBackendError, is_missing_backend


def lazy_getattr(package, modules):
    """A module `__getattr__` for `package` that imports the class `name`
    from `package.<modules[name]>` on first use (PEP 562). A missing Keras
    backend is reported as `MissingBackendError`, which says what to install."""

    def __getattr__(name):
        if name not in modules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            module = importlib.import_module(f"{package}.{modules[name]}")
        except ImportError as error:
            if is_missing_backend(error):
                raise MissingBackendError(error) from None
            raise
        return getattr(module, name)

    return __getattr__

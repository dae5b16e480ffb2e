import importlib


def lazy_getattr(package, modules):
    """A module `__getattr__` for `package` that imports the class `name`
    from `package.<modules[name]>` on first use (PEP 562)."""

    def __getattr__(name):
        if name not in modules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{modules[name]}"), name)

    return __getattr__

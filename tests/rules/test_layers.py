"""The packages stand in layers: each imports only those below it (or
itself), so none imports one above it and no two import each other. An
import inside a function counts as much as one at the top, and so do a
relative import and a module named to `importlib.import_module` or
`__import__`."""

import ast
import os

from conftest import ROOT

# lowest first
LAYERS = [
    {"errors", "bookdefaults", "utils"},
    {"io", "datasets"},
    {"preprocessing"},
    {"nn"},
    {"callbacks"},
    {"pipeline"},
]
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}
DYNAMIC = {"import_module", "__import__"}
# The one module that imports by a name it is given: `lazy_getattr`, which
# each package's __init__ calls with its own name, for its own modules.
LAZY = os.path.join("utils", "lazy.py")


def imported_modules(path, package):
    """(dotted module name or None, line) of each import in the file `path`
    of the dotted `package` (the one it belongs to: relative imports are
    resolved from it): None where a module is named to `import_module` or
    `__import__` by anything but a literal."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(filter(None, [*parent, base]))
            for alias in node.names:  # `from pyimagesearch import utils` imports a package
                yield f"{base}.{alias.name}", node.lineno
        elif isinstance(node, ast.Call):
            called = getattr(node.func, "attr", getattr(node.func, "id", None))
            if called in DYNAMIC and node.args:
                name = node.args[0]
                literal = isinstance(name, ast.Constant) and isinstance(name.value, str)
                yield (name.value if literal else None), node.lineno


def layer_of(module):
    """The package of pyimagesearch `module` (a dotted name), or None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "pyimagesearch" and len(parts) > 1 else None


def import_graph(library):
    """({package: {packages it imports}}, [problems]) of the library's files."""
    graph = {}
    problems = []
    for folder, _, files in os.walk(library):
        for name in sorted(files):
            if not name.endswith(".py") or name == "__init__.py" and folder == library:
                continue
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, library)
            parts = relative.removesuffix(".py").split(os.sep)
            dotted = ".".join(["pyimagesearch", *parts[:-1]])  # the package it is in
            package = parts[0]
            graph.setdefault(package, set())
            for module, line in imported_modules(path, dotted):
                if module is None:
                    if relative != LAZY:
                        problems.append(f"pyimagesearch/{relative}:{line} imports a module "
                                        "named at run time: name it literally")  # fmt: skip
                    continue
                if module.startswith("dogs_vs_cats"):
                    problems.append(f"pyimagesearch/{relative}:{line} imports the scripts")
                target = layer_of(module)
                if target and target != package:
                    graph[package].add(target)
                    if RANK.get(target, len(LAYERS)) > RANK.get(package, len(LAYERS)):
                        problems.append(f"pyimagesearch/{relative}:{line} imports {target}, "
                                        "a layer above its own")  # fmt: skip
    return graph, problems


def cycles(graph):
    """The packages of `graph` that import, directly or not, one that
    imports them back."""
    found = set()
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            package = todo.pop()
            if package == start:
                found.add(start)
                break
            if package not in seen:
                seen.add(package)
                todo += graph.get(package, ())
    return found


def test_every_package_imports_only_the_layers_below_it():
    (graph, problems) = import_graph(os.path.join(ROOT, "pyimagesearch"))
    assert set(graph) == set(RANK), "a package is missing from LAYERS: place it"
    assert not problems, "imports against the layers:\n" + "\n".join(problems)
    assert not cycles(graph), f"packages that import each other: {sorted(cycles(graph))}"


def test_the_scan_sees_every_kind_of_import(tmp_path):
    """Relative imports, and modules named to import_module or __import__,
    are seen; a module named at run time is a problem of its own."""
    library = tmp_path / "pyimagesearch"
    (library / "io").mkdir(parents=True)
    (library / "io" / "m.py").write_text(
        "import importlib\n"
        "from ..pipeline import build\n"
        "from . import m\n"
        "importlib.import_module('pyimagesearch.nn.x')\n"
        "__import__('pyimagesearch.callbacks')\n"
        "importlib.import_module(f'pyimagesearch.{name}')\n"
    )
    (graph, problems) = import_graph(str(library))
    assert graph == {"io": {"pipeline", "nn", "callbacks"}}
    assert [p.split(":")[1].split()[0] for p in problems] == ["2", "4", "5", "6"], problems


def test_two_packages_of_one_layer_may_not_import_each_other():
    """io and datasets share a layer: a cycle between them is refused, as
    is a longer one."""
    assert cycles({"io": {"datasets"}, "datasets": {"io"}, "utils": set()}) == {"io", "datasets"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == {"a", "b", "c"}
    assert cycles({"io": {"utils"}, "utils": set()}) == set()

"""The packages stand in layers: each imports only those below it (or
itself), so none imports one above it and no two import each other. An
import inside a function counts as much as one at the top."""

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


def imported_packages(path):
    """The pyimagesearch packages (or top-level modules) `path` imports, with
    each import's line."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "pyimagesearch":  # from pyimagesearch import bookdefaults
                names = [f"pyimagesearch.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "dogs_vs_cats":
                yield "dogs_vs_cats (the scripts)", node.lineno
            elif parts[0] == "pyimagesearch" and len(parts) > 1:
                yield parts[1], node.lineno


def test_every_package_imports_only_the_layers_below_it():
    library = os.path.join(ROOT, "pyimagesearch")
    found = set()
    wrong = []
    for folder, _, files in os.walk(library):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, library).split(os.sep)
            package = relative[0].removesuffix(".py")
            if package == "__init__":
                continue
            found.add(package)
            for target, line in imported_packages(path):
                if target != package and RANK.get(target, len(LAYERS)) > RANK[package]:
                    wrong.append(f"pyimagesearch/{'/'.join(relative)}:{line} imports {target}")
    assert found == set(RANK), "a package is missing from LAYERS: place it"
    assert not wrong, "imports above their layer:\n" + "\n".join(wrong)

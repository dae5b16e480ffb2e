"""Each name has one home: the library, the scripts, the benchmarks, the
tools and the tests import a name from the module that defines it, never
from a module that imported it for its own use (issue 35: the decoder's
names were imported through `io.imagefiles` too). A package's
`__init__` is the exception: its lazy exports are the names users are told
to import from the package."""

import ast
import functools
import os

from conftest import ROOT

FOLDERS = ("pyimagesearch", "dogs_vs_cats", "benchmarks", "tools", "tests")
# what a module's top level may hold a definition inside
BLOCKS = (ast.If, ast.Try, ast.ExceptHandler, ast.With)


@functools.cache
def defined_names(path):
    """The names the module at `path` binds by its own statements at its
    top level (functions, classes, assignments, in `if`, `try` and `with`
    blocks too), not those it imports."""
    names = set()
    todo = list(ast.parse(open(path, encoding="utf-8").read(), path).body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, BLOCKS):
            todo += [c for c in ast.iter_child_nodes(node) if isinstance(c, (ast.stmt, *BLOCKS))]
    return names


def module_file(root, dotted):
    """The file of the module `dotted` under `root` (a package's
    `__init__.py`), or None."""
    base = os.path.join(root, *dotted.split("."))
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(path):
            return path
    return None


def borrowed_names(root, path):
    """ "file:line: ..." for each name the file `path` imports from a module
    of pyimagesearch that does not define it (or that does not exist)."""
    problems = []
    where = os.path.relpath(path, root)
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read(), path)):
        if not isinstance(node, ast.ImportFrom) or node.module is None:
            continue
        if node.module.split(".")[0] != "pyimagesearch":
            continue
        source = module_file(root, node.module)
        if source is None:
            problems.append(f"{where}:{node.lineno}: {node.module} does not exist")
            continue
        if os.path.basename(source) == "__init__.py":
            continue  # a package's exports are its public names
        for alias in node.names:
            submodule = module_file(root, f"{node.module}.{alias.name}")
            if alias.name not in defined_names(source) and submodule is None:
                problems.append(
                    f"{where}:{node.lineno}: imports {alias.name} from {node.module}, "
                    "which does not define it: import it from its own module"
                )
    return problems


def every_borrowed_name(root):
    return [
        problem
        for top in FOLDERS
        for folder, _, files in os.walk(os.path.join(root, top))
        for name in sorted(files)
        if name.endswith(".py")
        for problem in borrowed_names(root, os.path.join(folder, name))
    ]


def test_every_name_is_imported_from_the_module_that_defines_it():
    problems = every_borrowed_name(ROOT)
    assert not problems, "names imported through another module:\n" + "\n".join(problems)


def test_the_scan_tells_a_borrowed_name_from_a_home(tmp_path):
    """A name imported from a module that only imports it is refused; one
    it defines (at its top level, or in an `if` or `try` block), a
    submodule and a package's export are not."""
    package = tmp_path / "pyimagesearch" / "io"
    package.mkdir(parents=True)
    (tmp_path / "pyimagesearch" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("from pyimagesearch.io.home import Home\n")
    (package / "home.py").write_text("class Home:\n    pass\n")
    (package / "user.py").write_text(
        "from pyimagesearch.io.home import Home\n"
        "LIMIT = 1\n"
        "try:\n    import fast\nexcept ImportError:\n    SLOW = True\n"
        "def use():\n    LOCAL = 2\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_user.py").write_text(
        "from pyimagesearch.io.user import LIMIT, SLOW, use\n"
        "from pyimagesearch.io.user import Home, LOCAL\n"
        "from pyimagesearch.io import Home, home\n"
        "from pyimagesearch.io.gone import Home\n"
    )
    problems = every_borrowed_name(str(tmp_path))
    assert [p.split(": ", 1)[1].split(",")[0] for p in problems] == [
        "imports Home from pyimagesearch.io.user",
        "imports LOCAL from pyimagesearch.io.user",
        "pyimagesearch.io.gone does not exist",
    ], problems

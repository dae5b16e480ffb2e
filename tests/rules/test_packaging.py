"""The project as a library inside someone else's project: installed from a
wheel, run from any folder, without a backend, without side effects."""

import ast
import os
import pathlib
import re
import subprocess
import sys
import sysconfig
import textwrap

import pytest

import pyimagesearch
from conftest import ROOT

# The distribution that installs each import name, where the two differ.
DISTRIBUTIONS = {
    "cv2": "opencv-python-headless",
    "sklearn": "scikit-learn",
    "PIL": "pillow",
    "progressbar": "progressbar2",
}


# Keras's backends: the user installs one, through an extra ([cpu], [gpu],
# [jax]) or by hand (torch); the library imports a backend only when Keras runs on it.
BACKENDS = {"tensorflow", "jax", "torch"}


def blocked(tmp_path, *modules):
    """An environment in which importing `modules` fails, as when they are
    not installed."""
    folder = tmp_path / "blocker"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        textwrap.dedent(f"""
        import sys

        class NotInstalled:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {modules!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)

        sys.meta_path.insert(0, NotInstalled())
    """)
    )
    return dict(os.environ, PYTHONPATH=f"{folder}{os.pathsep}{ROOT}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtual environment holding the built wheel; its dependencies
    come from the test environment's site-packages (a path, so nothing is
    downloaded), the project itself only from the wheel."""
    folder = tmp_path_factory.mktemp("installed")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(folder / "dist"),
            ROOT,
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (folder / "dist").glob("*.whl")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    with open(os.path.join(site, "test_dependencies.pth"), "w") as f:
        f.write(sysconfig.get_path("purelib") + "\n")
    return {"python": python, "bin": venv / "bin", "site": site, "wheel": wheel}


@pytest.mark.slow
def test_installed_package_imports_from_any_folder_ships_py_typed_and_its_version(
    installed, tmp_path
):
    code = (
        "import importlib.metadata, pyimagesearch, pyimagesearch.io as io; "
        "print(pyimagesearch.__file__); print(io.HDF5DatasetGenerator.__name__); "
        "print(pyimagesearch.__version__, importlib.metadata.version('pyimagesearch-dogs-vs-cats'))"
    )
    out = subprocess.run(
        [str(installed["python"]), "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[0].startswith(installed["site"]) and out[1] == "HDF5DatasetGenerator"
    assert out[2:] == [pyimagesearch.__version__] * 2  # the wheel's metadata: one version
    assert os.path.isfile(os.path.join(installed["site"], "pyimagesearch", "py.typed"))


@pytest.mark.slow
def test_installed_scripts_write_only_under_the_current_folder(installed, tmp_path):
    def run(command, *args):
        result = subprocess.run(
            [str(installed["bin"] / command), *map(str, args)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result

    before = sorted(os.walk(installed["site"]))
    run("dogs-vs-cats-sample", "--output-dir", "photos", "--per-class", 15, "--test-images", 2)
    run(
        "dogs-vs-cats-build",
        "--images",
        "photos/train",
        "--val-size",
        4,
        "--test-size",
        4,
        "--size",
        64,
    )
    assert (tmp_path / "datasets" / "kaggle_dogs_vs_cats" / "hdf5" / "train.hdf5").exists()
    assert (tmp_path / "output" / "dogs_vs_cats_mean.json").exists()
    assert sorted(os.walk(installed["site"])) == before  # nothing written in site-packages
    usage = run("dogs-vs-cats-train", "--help").stdout
    assert usage.startswith("usage: dogs-vs-cats-train")


def test_without_a_backend_each_script_says_what_to_install(tmp_path, sample):
    env = blocked(tmp_path, "tensorflow", "jax", "torch")
    for script in ("train_alexnet", "crop_accuracy", "extract_features", "predict"):
        result = subprocess.run(
            [sys.executable, f"{ROOT}/dogs_vs_cats/{script}.py"],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1, result.stderr
        assert "[cpu]" in lines[0] and "[jax]" in lines[0]
    library = subprocess.run(
        [sys.executable, "-c", "from pyimagesearch.io import HDF5DatasetGenerator"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "MissingBackendError" in library.stderr and "[cpu]" in library.stderr


def test_the_build_and_the_classifier_never_import_a_backend(tmp_path, sample):
    env = blocked(tmp_path, "tensorflow", "jax", "torch", "keras")
    result = subprocess.run(
        [
            sys.executable,
            f"{ROOT}/dogs_vs_cats/build_dogs_vs_cats.py",
            "--images",
            str(sample["train"]),
            "--output-dir",
            str(tmp_path / "h"),
            "--mean",
            str(tmp_path / "m.json"),
            "--val-size",
            "5",
            "--test-size",
            "5",
            "--size",
            "40",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    features = tmp_path / "f.hdf5"
    script = textwrap.dedent(f"""
        import numpy as np
        from pyimagesearch.io.hdf5datasetwriter import HDF5DatasetWriter
        rng = np.random.default_rng(0)
        with HDF5DatasetWriter((40, 3), {str(features)!r}, dataKey="features") as w:
            labels = np.arange(40) % 2
            w.add(rng.normal(size=(40, 3)) + labels[:, None] * 3, labels)
            w.storeClassLabels(["cat", "dog"])
            w.db.attrs["backbone_kind"] = "keras.applications"
    """)
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    result = subprocess.run(
        [
            sys.executable,
            f"{ROOT}/dogs_vs_cats/train_model.py",
            "--db",
            str(features),
            "--classifier",
            str(tmp_path / "lr.json"),
            "-j",
            "1",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_importing_the_library_changes_no_global_state():
    script = textwrap.dedent("""
        import importlib, logging, os, pkgutil, sys
        import matplotlib
        matplotlib.use("svg")  # a user's own choice
        # what the dependencies themselves change on import is theirs
        import cv2, h5py, keras, sklearn.linear_model, tensorflow
        environ, handlers = dict(os.environ), list(logging.getLogger().handlers)
        import pyimagesearch, dogs_vs_cats
        for package in (pyimagesearch, dogs_vs_cats):
            for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
                if not module.name.split(".")[-1].startswith(("train_", "build_", "crop_",
                        "extract_", "predict", "make_")):
                    importlib.import_module(module.name)
        assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
        assert dict(os.environ) == environ, set(os.environ.items()) ^ set(environ.items())
        assert list(logging.getLogger().handlers) == handlers
        print("unchanged")
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT
    )
    assert result.stdout.strip() == "unchanged", result.stderr


def pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def declared_name(requirement):
    """The distribution a requirement names ("scipy>=1.11,<2" -> "scipy")."""
    return re.match(r"[A-Za-z0-9._-]+", requirement).group().lower().replace("_", "-")


def imported_third_party(folder):
    """The top-level modules that the .py files under `folder` import and that
    are neither the standard library's nor the project's own."""
    own = {"pyimagesearch", "dogs_vs_cats"}
    found = set()
    for path in pathlib.Path(ROOT, folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - own - set(sys.stdlib_module_names)


def test_every_package_the_code_imports_is_a_declared_dependency():
    project = pyproject()["project"]
    declared = {declared_name(r) for r in project["dependencies"]}
    extras = {declared_name(r) for rs in project["optional-dependencies"].values() for r in rs}
    imported = imported_third_party("pyimagesearch") | imported_third_party("dogs_vs_cats")
    assert {"scipy", "joblib", "cv2", "keras"} <= imported  # the scan sees the imports
    missing = {
        name
        for name in imported - BACKENDS
        if DISTRIBUTIONS.get(name, name).lower() not in declared
    }
    assert not missing, f"imported but not in pyproject.toml's dependencies: {sorted(missing)}"
    assert {"tensorflow-cpu", "tensorflow", "jax"} <= extras


def test_requirements_pin_every_declared_dependency():
    declared = {declared_name(r) for r in pyproject()["project"]["dependencies"]}
    for name in ("requirements.txt", "requirements-gpu.txt"):
        with open(os.path.join(ROOT, name)) as f:
            pinned = {
                declared_name(line) for line in f if line.strip() and not line.startswith("#")
            }
        assert declared <= pinned, f"{name} lacks {sorted(declared - pinned)}"


def test_one_version_for_setup_py_pyproject_and_the_package():
    assert "version" not in pyproject()["project"]  # read from the package, not written twice
    assert pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "pyimagesearch.__version__"
    }
    printed = subprocess.check_output(
        [sys.executable, "setup.py", "--version"], cwd=ROOT, text=True, stderr=subprocess.DEVNULL
    )
    assert printed.split() == [pyimagesearch.__version__]

"""dogs_vs_cats/config: the configured paths do not depend on the working
directory."""

from dogs_vs_cats import build_dogs_vs_cats


def test_config_paths_do_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    import importlib
    import os

    monkeypatch.chdir(tmp_path)
    from dogs_vs_cats.config import dogs_vs_cats_config as config

    importlib.reload(config)
    assert os.path.isabs(config.TRAIN_HDF5) and config.TRAIN_HDF5.startswith(config.BASE_PATH)
    assert config.MODEL_PATH.endswith(".keras") and config.NUM_VAL_IMAGES == 2500
    assert build_dogs_vs_cats.make_parser().parse_args([]).valSize == config.NUM_VAL_IMAGES

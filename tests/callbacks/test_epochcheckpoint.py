"""`callbacks.epochcheckpoint`: checkpoints are numbered from `startAt` as the
book resumes, and found again in folders whose names hold glob characters."""

import os

import numpy as np

# ---- paths are data ------------------------------------------------------------


def test_paths_with_glob_characters_work_for_checkpoints(tmp_path):
    import keras

    from pyimagesearch.callbacks import EpochCheckpoint, latest_checkpoint

    folder = tmp_path / "run[1]*?"
    other = tmp_path / "run1x"  # what the pattern would match
    other.mkdir()
    (other / "checkpoint-epoch-009.keras").write_bytes(b"")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(
        np.zeros((4, 2)),
        np.zeros((4, 1)),
        epochs=3,
        verbose=0,
        callbacks=[EpochCheckpoint(str(folder))],
    )
    assert latest_checkpoint(str(folder)) == (str(folder / "checkpoint-epoch-003.keras"), 3)
    assert sorted(os.listdir(folder)) == ["checkpoint-epoch-003.keras"]  # older ones pruned
    assert (other / "checkpoint-epoch-009.keras").exists()


def test_epoch_checkpoint_counts_from_start_at_as_the_book_resumes(tmp_path):
    import keras

    from pyimagesearch.callbacks import EpochCheckpoint, latest_checkpoint

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.zeros((4, 2)), np.zeros((4, 1))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[EpochCheckpoint(str(tmp_path), startAt=10)])
    assert latest_checkpoint(str(tmp_path))[1] == 12  # the book: fit again, startAt=done
    model.fit(
        x,
        y,
        epochs=14,
        initial_epoch=12,
        verbose=0,
        callbacks=[EpochCheckpoint(str(tmp_path), startAt=12)],
    )
    assert latest_checkpoint(str(tmp_path))[1] == 14  # ours: initial_epoch too
    assert len(os.listdir(tmp_path)) == 1

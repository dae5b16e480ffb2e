"""End-to-end fine-tuning: the top trained on the build's pixels through
the chapter's training (feeds, augmentation, checkpoints), scored on the
validation and test photos as the cached fine-tuning is, held out by name,
and resumed on the same curve after a kill."""

import json
import os
import shutil

import h5py
import numpy as np
import pytest

from conftest import BACKENDS, ROOT, run_on_two_devices
from helpers import run_fine_tune
from pyimagesearch.errors import ArgumentError
from pyimagesearch.nn.modelfiles import load_model
from pyimagesearch.pipeline import endtoend, finetune

OPTIONS = finetune.FineTuneOptions(epochs=2, patience=2, learningRate=1e-3, batchSize=8)


def own_copy(fitted, folder):
    """The `fitted` fixture's features and classifier, copied to `folder`."""
    (out, splits) = fitted
    for name in ("features.hdf5", "classifier.json"):
        shutil.copy(out / name, folder / name)
    return splits


def end_to_end(sample, built, folder, splits, resume=False):
    build = (str(built["train"]), str(built["val"]), str(built["mean"]))
    return run_fine_tune(sample, folder, splits, resume, OPTIONS, mode="end-to-end", build=build)


def log_loss(labels, probabilities):
    picked = np.asarray(probabilities)[np.arange(len(labels)), labels]
    return -np.mean(np.log(np.clip(picked, np.finfo(float).eps, None)))


class Killed(Exception):
    pass


def check_trained_above_the_cut_only(networkPath, built):
    """The network `train` saved: below the cut and in every BatchNorm as
    the extractor it started from; above, changed; and it computes what
    the model scored on the cut layer's activations computes."""
    import keras

    from helpers import lively_extractor
    from pyimagesearch.nn.deploylayers import ApplicationPreprocessing

    network = load_model(networkPath)
    trained = next(layer for layer in network.layers if isinstance(layer, keras.Model))
    start = lively_extractor(32)
    (bottom, top) = finetune.split_backbone(start.model, "block_15_add")
    below = {layer.name for layer in bottom.layers}
    changed = []
    for layer in start.model.layers:
        if not layer.weights:
            continue
        pairs = zip(layer.get_weights(), trained.get_layer(layer.name).get_weights())
        same = all(np.array_equal(a, b) for a, b in pairs)
        if layer.name in below or isinstance(layer, keras.layers.BatchNormalization):
            assert same, layer.name
        elif not same:
            changed.append(layer.name)
    assert "block_16_project" in changed and "Conv_1" in changed, changed
    # the network trained, on a patch, is the model scored, on the patch's activations
    logits = finetune.logits_model(top, *network.get_layer("head").get_weights(), 0.0)
    endtoend.copy_top(network, logits)
    with h5py.File(built["train"], "r") as db:
        photos = db["images"][:4, :63, :63].astype("float32")
    means = json.loads(built["mean"].read_text())
    patches = photos - np.array([means["B"], means["G"], means["R"]], "float32")
    resized = keras.layers.Resizing(32, 32)(photos)
    activations = bottom(ApplicationPreprocessing("MobileNetV2")(resized))
    expected = keras.ops.softmax(logits(activations))
    np.testing.assert_allclose(network(patches), expected, atol=1e-5)


def test_trained_end_to_end_held_out_by_name_and_resumed_on_the_same_curve(
    sample, built, fitted, tmp_path, monkeypatch
):
    whole = tmp_path / "whole"
    whole.mkdir()
    splits = own_copy(fitted, whole)
    (report, saved, lines) = end_to_end(sample, built, whole, splits)
    assert report == json.loads((whole / "finetune.json").read_text())
    assert report["mode"] == "end-to-end"
    # trained through the training stage's feed: no training activations cached
    assert not (whole / "cache" / "train.hdf5").exists()
    assert any("end to end on 40 training photos, 63x63 patches of their 72x72" in line
               for line in lines)  # fmt: skip
    assert len(report["history"]) == 3 and len(report["train_history"]) == 2
    # the top learns: the checks below compare figures that training moves
    assert abs(report["history"][1] - report["history"][0]) > 1e-3, report["history"]
    assert report["train_views"] == 2 and report["cache_bytes_per_photo"] == 0
    run = whole / "cache" / "end_to_end"
    state = json.loads((run / endtoend.STATE_FILE).read_text())
    assert state["history"] == report["history"]
    assert state["best_epoch"] == report["best_epoch"] == int(np.argmin(report["history"]))
    # the validation figure of each epoch is the saved model's, at its best
    # epoch, on the validation photos' cached activations
    model = load_model(whole / "finetuned.keras")
    with h5py.File(whole / "cache" / "val.hdf5", "r") as db:
        activations = db["features"][:].astype("float32")
        valLabels = db["labels"][::2]
    views = activations.reshape(len(valLabels), 2, *activations.shape[1:])
    # the model saved gives softmax(logits / T): its log-probabilities times
    # T are the logits, up to a constant per row that softmax ignores
    scaled = np.log(finetune.view_logits(model, views)) * report["temperature"]
    uncalibrated = finetune.view_probabilities(scaled)
    assert report["val_log_loss_uncalibrated"] == pytest.approx(log_loss(valLabels, uncalibrated),
                                                                 rel=1e-4)  # fmt: skip
    # the model saved is the best epoch's, whichever it is (0: the head as fitted)
    assert report["history"][report["best_epoch"]] == pytest.approx(
        report["val_log_loss_uncalibrated"], rel=1e-4
    )
    check_trained_above_the_cut_only(run / endtoend.NETWORK_FILE, built)
    # the test photos: the build's test split, by name, figures recomputed
    test = saved["test"]
    assert test["image_names"] == splits["test"]
    (labels, probabilities) = (np.array(test["labels"]), np.array(test["probabilities"]))
    with h5py.File(whole / "features.hdf5", "r") as db:
        labelOf = dict(zip(db["image_names"].asstr()[()], db["labels"][:].tolist()))
    assert test["labels"] == [labelOf[name] for name in splits["test"]]
    assert report["score"] == np.mean(probabilities.argmax(axis=1) == labels)
    assert report["log_loss"] == pytest.approx(log_loss(labels, probabilities), rel=1e-9)

    # killed after epoch 2's figures were written, before its checkpoint:
    # the resumed run trains epoch 2 again and ends where the whole run did
    broken = tmp_path / "broken"
    broken.mkdir()
    own_copy(fitted, broken)
    write = endtoend.ValidationLogLoss.write

    def killed_after_epoch_2(self):
        write(self)
        if len(self.history) == 3:
            raise Killed

    monkeypatch.setattr(endtoend.ValidationLogLoss, "write", killed_after_epoch_2)
    with pytest.raises(Killed):
        end_to_end(sample, built, broken, splits)
    monkeypatch.undo()
    brokenRun = broken / "cache" / "end_to_end"
    assert (brokenRun / "checkpoint-epoch-001.keras").exists()
    # the best of the epochs the checkpoint holds keeps its weights, whatever
    # the epoch the kill interrupted wrote
    written = json.loads((brokenRun / endtoend.STATE_FILE).read_text())["history"]
    assert (brokenRun / endtoend.BEST_FILES.format(int(np.argmin(written[:2])))).exists()
    (resumed, resumedSaved, lines) = end_to_end(sample, built, broken, splits, resume=True)
    assert any("resuming from" in line and "after epoch 1" in line for line in lines)
    assert not any("caching" in line for line in lines)
    for key in ("history", "train_history"):
        np.testing.assert_allclose(resumed[key], report[key], rtol=1e-5)
    for key in ("best_epoch", "test_rows", "submit_with"):
        assert resumed[key] == report[key]
    np.testing.assert_allclose(resumedSaved["test"]["probabilities"], probabilities, atol=1e-5)


def test_end_to_end_needs_the_build_and_plain_targets(sample, fitted, tmp_path):
    splits = own_copy(fitted, tmp_path)
    with pytest.raises(ArgumentError, match="build's HDF5 splits"):
        run_fine_tune(sample, tmp_path, splits, mode="end-to-end")
    with pytest.raises(ArgumentError, match="not one of cached, end-to-end"):
        run_fine_tune(sample, tmp_path, splits, mode="gpu")
    smoothed = finetune.FineTuneOptions(labelSmoothing=0.1)
    with pytest.raises(ArgumentError, match="smooth them only in the cached mode"):
        run_fine_tune(sample, tmp_path, splits, options=smoothed, mode="end-to-end",
                      build=("train.hdf5", "val.hdf5", "mean.json"))  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
def test_on_two_devices_each_epoch_is_scored_as_its_network_scores(backend, sample, built,
                                                                   fitted, tmp_path):  # fmt: skip
    """Data-parallel over two devices: the validation log loss recorded for
    the last epoch is that of the network the run saved, its top copied
    into the model scored (Keras's predict inside a data-parallel fit once
    joined the replicas' outputs into four columns)."""

    splits = own_copy(fitted, tmp_path)
    build = [str(built[k]) for k in ("train", "val", "mean")]
    paths = {"sample": {k: str(v) for k, v in sample.items()}, "folder": str(tmp_path),
             "build": build, "splits": splits}  # fmt: skip
    script = f"""
        import json, pathlib, sys
        sys.path.insert(0, {os.path.join(ROOT, "tests")!r})
        from helpers import run_fine_tune
        from pyimagesearch.nn.backbones import application_extractor
        from pyimagesearch.nn.modelfiles import load_model
        from pyimagesearch.pipeline import endtoend, finetune
        from pyimagesearch.pipeline.evaluation import held_out_log_loss

        given = json.loads({json.dumps(json.dumps(paths))})
        folder = pathlib.Path(given["folder"])
        options = finetune.FineTuneOptions(epochs=2, patience=2, learningRate=1e-3, batchSize=8)
        (report, _, lines) = run_fine_tune(given["sample"], folder, given["splits"], False,
                                           options, mode="end-to-end", build=given["build"])
        assert any("data-parallel over 2 devices" in line for line in lines), lines
        # the last epoch's network, as the run saved it, scored apart
        network = load_model(folder / "cache" / "end_to_end" / endtoend.NETWORK_FILE)
        (_, top) = finetune.split_backbone(application_extractor("mobilenetv2", "none", 32).model,
                                           "block_15_add")
        logits = finetune.logits_model(top, *network.get_layer("head").get_weights(), 0.0)
        endtoend.copy_top(network, logits)
        (activations, labels, _) = finetune.read_activations(folder / "cache" / "val.hdf5", 2)
        probabilities = finetune.view_probabilities(finetune.view_logits(logits, activations))
        print(json.dumps({{"recorded": report["history"][-1],
                           "recomputed": held_out_log_loss(labels, probabilities)}}))
    """
    out = json.loads(run_on_two_devices(backend, script).strip().splitlines()[-1])
    assert out["recorded"] == pytest.approx(out["recomputed"], rel=1e-6)


@pytest.mark.parametrize("content", [b"garbage", None])
def test_an_unreadable_best_epoch_file_is_one_line_naming_it_and_the_fix(tmp_path, content):
    """The best epoch's weights file that is not the archive the run wrote
    (garbage, or an archive without the epoch) is refused in one line
    naming it and the fix, not numpy's message about pickles or a KeyError."""
    import keras

    inputs = keras.Input((3,))
    logits = keras.Model(inputs, keras.layers.Dense(2, name="head")(inputs))
    val = (np.ones((4, 2, 3), "float32"), np.array([0, 1, 0, 1]))
    monitor = endtoend.ValidationLogLoss(logits, val, 2, str(tmp_path), None, lambda line: None)
    best = tmp_path / endtoend.BEST_FILES.format(0)
    if content is None:
        np.savez(best, *logits.get_weights())
    else:
        best.write_bytes(content)
    with pytest.raises(
        ValueError, match=r"best-epoch-000\.weights\.npz .*rerun the chapter with --from finetune"
    ):
        monitor.result()


def test_a_diverged_run_names_the_fine_tunings_rate_not_alexnets_flag(
    sample, built, fitted, tmp_path, monkeypatch
):
    """The training stops at a NaN loss naming its learning rate, which the
    chapter's command line shows as AlexNet's --lr: the fine-tuning's own
    rate, FineTuneOptions.learningRate, is named instead, and no flag."""
    from dogs_vs_cats import chapter
    from dogs_vs_cats.cli import explain
    from pyimagesearch.pipeline import training

    def diverged(config):
        raise ArgumentError("learningRate", "the loss became NaN or infinite in epoch 1: "
                            "lower the learning rate")  # fmt: skip

    monkeypatch.setattr(training, "train", diverged)
    splits = own_copy(fitted, tmp_path)
    with pytest.raises(ArgumentError) as caught:
        end_to_end(sample, built, tmp_path, splits)
    line = explain(caught.value, chapter.make_parser())
    assert line.startswith("end-to-end fine-tuning diverged at FineTuneOptions.learningRate "
                           "0.001: the loss became NaN")  # fmt: skip
    assert "--lr" not in line

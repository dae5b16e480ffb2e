"""Fine-tuning against the logistic regression it starts from, on real
photos: MobileNetV2 (the local ImageNet weights) at the chapter's feature
size, held-out log loss on the build's test split, at several sizes, with
each lever beside the defaults.

    .venv/bin/python -m benchmarks.finetune [PHOTOS] [--sizes 1000 2002]
        [--levers rate=1e-4 smoothing=0.1 views=2 cut=block_14_add mode=end-to-end ...]

For each size, the first N/2 photos of each class (by name) are built into splits
(20% test, 10% validation), then the chapter's own functions run: features,
the logistic regression (fitted on train + validation, C by 3-fold log
loss), the fine-tuning (`pyimagesearch.pipeline.finetune`, its defaults),
then once more for each lever: one option changed (see LEVERS), trained
from the same cached activations where its cut and views are the
defaults'. Every fine-tuned model is also averaged with the logistic
regression, with equal weights. Writes
docs/finetune_benchmark.md (machine, date, command) and prints it."""

import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks.transfer_logloss import PHOTOS, ROOT, WEIGHTS  # noqa: E402  (the same photos)
from pyimagesearch.pipeline.chapterstages import FINE_TUNE_TRAININGS  # noqa: E402

PAGE = os.path.join(ROOT, "docs", "finetune_benchmark.md")
SIZE = 288  # the chapter's feature size for MobileNetV2


def fine_tune_mode(value: str) -> str:
    """`value` if it is a way `fine_tune` trains; else ValueError."""
    if value not in FINE_TUNE_TRAININGS:
        raise ValueError(value)
    return value


# A lever on the command line, name=value: the `FineTuneOptions` field it
# sets (None: `fine_tune`'s argument of that name: the layer the network is
# cut at, how the top is trained) and the value's type.
LEVERS = {
    "rate": ("learningRate", float),
    "decay": ("weightDecay", float),
    "dropout": ("dropout", float),
    "smoothing": ("labelSmoothing", float),
    "epochs": ("epochs", int),
    "views": ("trainViews", int),
    "cut": (None, str),
    "mode": (None, fine_tune_mode),
}


def lever(text: str) -> tuple[str, str | float | int]:
    """("name", value) of a --levers item "name=value"."""
    (name, _, value) = text.partition("=")
    if name not in LEVERS or not value:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a lever is name=value, the name one of {', '.join(LEVERS)}"
        )
    try:
        return name, LEVERS[name][1](value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: {value!r} is not a {LEVERS[name][1].__name__}")


def averaged_with_classifier(predictions: dict, classifier: dict) -> dict:
    """The test photos' probabilities of the fine-tuned model and of the
    chapter's logistic regression (train + validation), matched by name,
    averaged with equal weights: no weight is chosen on the validation
    photos, whose temperature already favours the fine-tuned model there.
    Returns {"log_loss", "score"}."""
    import numpy as np

    from pyimagesearch.pipeline.evaluation import held_out_log_loss

    test = predictions["test"]
    chapter = classifier["predictions"]
    rowOf = {name: row for row, name in enumerate(chapter["image_names"])}
    rows = [rowOf[name] for name in test["image_names"]]
    labels = np.array(test["labels"])
    if not np.array_equal(np.array(chapter["labels"])[rows], labels):
        raise SystemExit("the two models' test photos are labelled differently")
    averaged = (np.array(test["probabilities"]) + np.array(chapter["probabilities"])[rows]) / 2
    return {"log_loss": held_out_log_loss(labels, averaged),
            "score": float(np.mean(averaged.argmax(axis=1) == labels))}  # fmt: skip


def measure(photos, count, weights, folder, levers=()):
    """The rows of one size, the first `count` photos of `photos`: the
    defaults', then one for each of `levers` [(name, value)]."""
    import dataclasses
    import json

    from pyimagesearch.io.splitrecord import read_build_record
    from pyimagesearch.nn.backbones import application_extractor
    from pyimagesearch.pipeline.build import build_dataset
    from pyimagesearch.pipeline.classifier import FINE_C_VALUES, train_logistic_regression
    from pyimagesearch.pipeline.features import extract_backbone_features
    from pyimagesearch.pipeline.finetune import CUT_LAYERS, FineTuneOptions, fine_tune

    subset = os.path.join(folder, "photos")
    os.makedirs(subset)
    for label in ("cat", "dog"):  # half of each class
        names = sorted(n for n in os.listdir(photos) if n.startswith(f"{label}."))
        for name in names[: (count + (label == "cat")) // 2]:
            shutil.copy(os.path.join(photos, name), subset)
    quiet = lambda line: None  # noqa: E731
    timings = {}
    began = time.perf_counter()
    build_dataset(subset, os.path.join(folder, "hdf5"), os.path.join(folder, "mean.json"),
                  {"test": count // 5, "val": count // 10}, size=SIZE, overwrite=True)  # fmt: skip
    splits = read_build_record(os.path.join(folder, "hdf5", "build_record.json"))["image_names"]
    timings["build"] = time.perf_counter() - began
    began = time.perf_counter()
    features = os.path.join(folder, "features.hdf5")
    extract_backbone_features(subset, features, "mobilenetv2", weights, featureSize=SIZE,
                              log=quiet)  # fmt: skip
    timings["features"] = time.perf_counter() - began
    began = time.perf_counter()
    classifier = train_logistic_regression(
        features, os.path.join(folder, "lr.json"), splits=splits, scoring="neg_log_loss",
        Cs=FINE_C_VALUES, log=quiet,
    )  # fmt: skip
    timings["classifier"] = time.perf_counter() - began

    def tune(name, value):
        options = FineTuneOptions()
        given = {"cut": CUT_LAYERS["mobilenetv2"], "mode": "cached"}
        if name in given:
            given[name] = value
        elif name is not None:
            options = dataclasses.replace(options, **{LEVERS[name][0]: value})
        began = time.perf_counter()
        run = f"{name}-{value}" if name else "defaults"
        record = fine_tune(
            subset, features, os.path.join(folder, "lr.json"), splits,
            application_extractor("mobilenetv2", weights, SIZE), given["cut"],
            # one cache for each cut, number of views and mode: the levers that
            # change none of them train from the defaults' cached activations
            os.path.join(folder, f"cache-{given['cut']}-{options.trainViews}-{given['mode']}"),
            os.path.join(folder, f"{run}.keras"), os.path.join(folder, f"{run}.json"),
            os.path.join(folder, f"{run}_predictions.json"), options, mode=given["mode"],
            build=tuple(os.path.join(folder, *part) for part in
                        (("hdf5", "train.hdf5"), ("hdf5", "val.hdf5"), ("mean.json",))),
            resume=True, log=print,
        )  # fmt: skip
        with open(os.path.join(folder, f"{run}_predictions.json")) as f:
            predictions = json.load(f)
        # Both models scored on the same photos, which are the build's test split.
        scored = sorted(classifier["predictions"]["image_names"])
        if not sorted(predictions["test"]["image_names"]) == scored == sorted(splits["test"]):
            raise SystemExit(f"{count} photos: the two models were scored on different photos")
        return {"photos": count, "splits": {k: len(v) for k, v in splits.items()},
                "lever": f"{name}={value}" if name else "defaults", "classifier": classifier,
                "finetune": record, "averaged": averaged_with_classifier(predictions, classifier),
                "seconds": {**timings, "finetune": time.perf_counter() - began}}  # fmt: skip

    return [tune(None, None)] + [tune(name, value) for (name, value) in levers]


def cpu_name():
    """The processor's model name, where Linux says it."""
    try:
        with open("/proc/cpuinfo") as f:
            found = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    except OSError:
        found = []
    return found[0] if found else platform.processor() or "unknown CPU"


def page(rows, command):
    from pyimagesearch.pipeline.endtoend import PATCH_FRACTION

    lines = [
        "# Fine-tuning MobileNetV2's top against the logistic regression",
        "",
        f"Measured {datetime.date.today()} on {cpu_name()} ({platform.machine()}), "
        f"{os.cpu_count()} cores shared with other work, no GPU, {platform.platform()}; "
        f"command: `{command}`.",
        "",
        "Held out: the build's test split (20% of the photos), by name. The logistic "
        "regression is the chapter's (fitted on train + validation); the fine-tuned model "
        "is fitted on train only, validation choosing its epoch and temperature (which "
        "only softens: from 1 to 8). "
        "'Validation' compares the fine-tuned model with the logistic regression refitted "
        "on train only (the chapter's choice of what submits).",
        "",
        "| photos | train/val/test | lever | LR test log loss | LR accuracy "
        "| fine-tuned test log loss | fine-tuned accuracy | val: fine-tuned vs LR | best epoch "
        "| temperature | submits | averaged with LR: test log loss, accuracy "
        "| seconds (build / features / LR / fine-tuning) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        (c, f, a, s) = (row["classifier"], row["finetune"], row["averaged"], row["seconds"])
        split = "/".join(str(row["splits"][k]) for k in ("train", "val", "test"))
        lines.append(
            f"| {row['photos']} | {split} | {row['lever']} "
            f"| {c['log_loss']:.4f} | {c['score']:.2%} "
            f"| {f['log_loss']:.4f} | {f['score']:.2%} "
            f"| {f['val_log_loss']:.4f} vs {f['classifier_val_log_loss']:.4f} "
            f"| {f['best_epoch']} | {f['temperature']:.3f} | {f['submit_with']} "
            f"| {a['log_loss']:.4f}, {a['score']:.2%} "
            f"| {s['build']:.0f} / {s['features']:.0f} / {s['classifier']:.0f} "
            f"/ {s['finetune']:.0f} |"
        )
    first = rows[0]["finetune"]
    lines += [
        "",
        f"The defaults: {first['options']}; cut at {first['cut_layer']}, "
        f"{first['train_views']} views per training photo cached, "
        f"{first['cache_bytes_per_photo']:,} bytes per photo (float16). A lever changes one "
        f"of them (rate: learningRate, decay: weightDecay, smoothing: labelSmoothing, views: "
        f"trainViews, cut: the layer cut at) and trains from the same cached activations "
        f"where its cut and views are the defaults' (its seconds are then training alone). "
        f"mode=end-to-end trains the same top and head through the chapter's training "
        f"instead (`pipeline.endtoend`: the build's {SIZE}-px photos, random "
        f"{round(SIZE * PATCH_FRACTION)}-px patches and the book's augmentation, resized back to "
        f"{SIZE}, the frozen part run on every photo every epoch; no training activations "
        f"cached; its seconds include caching the validation and test photos' activations "
        f"again, in a cache of its own). "
        f"'Averaged with LR': the mean of the fine-tuned model's and the chapter's LR's "
        f"probabilities on the test photos (equal weights: a weight chosen on the validation "
        f"photos would favour the fine-tuned model, whose temperature was fitted on them). "
        f"Held-out figures: "
        f"{rows[0]['classifier']['held_out']} for every model.",
        "",
        "Validation log loss by epoch, which chooses the epoch (0: the logistic regression's "
        "head, refitted on train, before training; on the cached views, the photo and its "
        "mirror, so not quite the 'LR' figure above, which is on the chapter's features); "
        "the 'fine-tuned' validation figure above is the chosen epoch's after the temperature:",
        "",
    ]
    for row in rows:
        history = ", ".join(f"{v:.4f}" for v in row["finetune"]["history"])
        lines.append(f"- {row['photos']} photos, {row['lever']}: {history}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("photos", nargs="?", default=PHOTOS)
    parser.add_argument("--weights", default=WEIGHTS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2002])
    parser.add_argument("--levers", type=lever, nargs="*", default=[],
                        help=f"name=value, at every size; names: {', '.join(LEVERS)}")  # fmt: skip
    args = parser.parse_args(argv)
    rows = []
    for count in sorted(args.sizes):
        with tempfile.TemporaryDirectory() as folder:
            rows += measure(args.photos, count, args.weights, folder, args.levers)
        print(page(rows, "(so far)"), flush=True)
    text = page(rows, "python -m benchmarks.finetune " + " ".join(argv or sys.argv[1:]))
    with open(PAGE, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()

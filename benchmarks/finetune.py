"""Fine-tuning against the logistic regression it starts from, on real
photos: MobileNetV2 (the local ImageNet weights) at the chapter's feature
size, held-out log loss on the build's test split, at several sizes.

    .venv/bin/python -m benchmarks.finetune [PHOTOS] [--sizes 1000 2002]
        [--lever-rate 1e-4]

For each size, the first N/2 photos of each class (by name) are built into splits
(20% test, 10% validation), then the chapter's own functions run: features,
the logistic regression (fitted on train + validation, C by 3-fold log
loss), the fine-tuning (`pyimagesearch.pipeline.finetune`, its defaults).
With --lever-rate, the largest size is fine-tuned a second time from the
same cached activations at that learning rate, beside the default.
Writes docs/finetune_benchmark.md (machine, date, command) and prints it."""

import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data")
PHOTOS = os.path.join(SHARED, "kaggle_sample", "train")
WEIGHTS = os.path.join(SHARED, "weights", "mobilenet_v2_1.0_224_imagenet_no_top.weights.h5")
PAGE = os.path.join(ROOT, "docs", "finetune_benchmark.md")
SIZE = 288  # the chapter's feature size for MobileNetV2


def measure(photos, count, weights, folder, leverRate=None):
    """The figures of one size: the first `count` photos of `photos`; with
    `leverRate`, also those of a fine-tuning at that learning rate."""
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

    def tune(options, name):
        began = time.perf_counter()
        record = fine_tune(
            subset, features, os.path.join(folder, "lr.json"), splits,
            application_extractor("mobilenetv2", weights, SIZE), CUT_LAYERS["mobilenetv2"],
            os.path.join(folder, "cache"), os.path.join(folder, f"{name}.keras"),
            os.path.join(folder, f"{name}.json"), os.path.join(folder, f"{name}_predictions.json"),
            options, resume=True, log=print,
        )  # fmt: skip
        with open(os.path.join(folder, f"{name}_predictions.json")) as f:
            tested = json.load(f)["test"]["image_names"]
        # Both models scored on the same photos, which are the build's test split.
        scored = sorted(classifier["predictions"]["image_names"])
        if not sorted(tested) == scored == sorted(splits["test"]):
            raise SystemExit(f"{count} photos: the two models were scored on different photos")
        return record, time.perf_counter() - began

    (record, timings["finetune"]) = tune(FineTuneOptions(), "finetune")
    row = {"photos": count, "splits": {k: len(v) for k, v in splits.items()},
           "classifier": classifier, "finetune": record, "seconds": timings}  # fmt: skip
    rows = [row]
    if leverRate is not None:
        (lever, seconds) = tune(FineTuneOptions(learningRate=leverRate), "lever")
        rows.append({**row, "finetune": lever, "seconds": {**timings, "finetune": seconds}})
    return rows


def cpu_name():
    """The processor's model name, where Linux says it."""
    try:
        with open("/proc/cpuinfo") as f:
            found = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    except OSError:
        found = []
    return found[0] if found else platform.processor() or "unknown CPU"


def page(rows, command):
    lines = [
        "# Fine-tuning MobileNetV2's top against the logistic regression",
        "",
        f"Measured {datetime.date(2026, 12, 7)} on {cpu_name()} ({platform.machine()}), "
        f"{os.cpu_count()} cores shared with other work, no GPU, {platform.platform()}; "
        f"command: `{command}`.",
        "",
        "Held out: the build's test split (20% of the photos), by name. The logistic "
        "regression is the chapter's (fitted on train + validation); the fine-tuned model "
        "is fitted on train only, validation choosing its epoch and temperature. "
        "'Validation' compares the fine-tuned model with the logistic regression refitted "
        "on train only (the chapter's choice of what submits).",
        "",
        "| photos | train/val/test | learning rate | LR test log loss | LR accuracy "
        "| fine-tuned test log loss | fine-tuned accuracy | val: fine-tuned vs LR | best epoch "
        "| temperature | submits | seconds (build / features / LR / fine-tuning) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        (c, f, s) = (row["classifier"], row["finetune"], row["seconds"])
        split = "/".join(str(row["splits"][k]) for k in ("train", "val", "test"))
        lines.append(
            f"| {row['photos']} | {split} | {f['options']['learningRate']:g} "
            f"| {c['log_loss']:.4f} | {c['score']:.2%} "
            f"| {f['log_loss']:.4f} | {f['score']:.2%} "
            f"| {f['val_log_loss']:.4f} vs {f['classifier_val_log_loss']:.4f} "
            f"| {f['best_epoch']} | {f['temperature']:.3f} | {f['submit_with']} "
            f"| {s['build']:.0f} / {s['features']:.0f} / {s['classifier']:.0f} "
            f"/ {s['finetune']:.0f} |"
        )
    first = rows[0]["finetune"]
    lines += [
        "",
        f"Fine-tuning options (the defaults; a second row at a size differs only in its "
        f"learning rate, trained from the same cached activations, so its seconds are "
        f"training alone): {first['options']}; cut at {first['cut_layer']}, "
        f"{first['train_views']} views per training photo cached, "
        f"{first['cache_bytes_per_photo']:,} bytes per photo (float16). Held-out figures: "
        f"{rows[0]['classifier']['held_out']} for both models.",
        "",
        "Validation log loss by epoch, which chooses the epoch (0: the logistic regression's "
        "head, refitted on train, before training; on the cached views, the photo and its "
        "mirror, so not quite the 'LR' figure above, which is on the chapter's features); "
        "the 'fine-tuned' validation figure above is the chosen epoch's after the temperature:",
        "",
    ]
    for row in rows:
        history = ", ".join(f"{v:.4f}" for v in row["finetune"]["history"])
        rate = row["finetune"]["options"]["learningRate"]
        lines.append(f"- {row['photos']} photos, learning rate {rate:g}: {history}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("photos", nargs="?", default=PHOTOS)
    parser.add_argument("--weights", default=WEIGHTS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2002])
    parser.add_argument("--lever-rate", type=float, help="also at this learning rate, "
                        "at the largest size")  # fmt: skip
    args = parser.parse_args(argv)
    rows = []
    for count in sorted(args.sizes):
        lever = args.lever_rate if count == max(args.sizes) else None
        with tempfile.TemporaryDirectory() as folder:
            rows += measure(args.photos, count, args.weights, folder, lever)
        print(page(rows, "(so far)"), flush=True)
    text = page(rows, "python -m benchmarks.finetune " + " ".join(argv or sys.argv[1:]))
    with open(PAGE, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()

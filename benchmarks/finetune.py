"""Fine-tuning against the logistic regression it starts from, on real
photos: MobileNetV2 (the local ImageNet weights) at the chapter's feature
size, held-out log loss on the build's test split, at several sizes.

    .venv/bin/python -m benchmarks.finetune [PHOTOS] [--sizes 1000 2002]

For each size, the first N/2 photos of each class (by name) are built into splits
(20% test, 10% validation), then the chapter's own functions run: features,
the logistic regression (fitted on train + validation, C by 3-fold log
loss), the fine-tuning (`pyimagesearch.pipeline.finetune`, its defaults).
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


def measure(photos, count, weights, folder):
    """The figures of one size: the first `count` photos of `photos`."""
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
    build_dataset(subset, os.path.join(folder, "hdf5"), os.path.join(folder, "mean.json"),
                  {"test": count // 5, "val": count // 10}, size=SIZE, overwrite=True)  # fmt: skip
    splits = read_build_record(os.path.join(folder, "hdf5", "build_report.json"))["image_names"]
    timings = {}
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
    began = time.perf_counter()
    report = fine_tune(
        subset, features, os.path.join(folder, "lr.json"), splits,
        application_extractor("mobilenetv2", weights, SIZE), CUT_LAYERS["mobilenetv2"],
        os.path.join(folder, "cache"), os.path.join(folder, "top.keras"),
        os.path.join(folder, "finetune.json"), os.path.join(folder, "predictions.json"),
        FineTuneOptions(), log=print,
    )  # fmt: skip
    timings["finetune"] = time.perf_counter() - began
    return {"photos": count, "splits": {k: len(v) for k, v in splits.items()},
            "classifier": classifier, "finetune": report, "seconds": timings}  # fmt: skip


def page(rows, command):
    lines = [
        "# Fine-tuning MobileNetV2's top against the logistic regression",
        "",
        f"Measured {datetime.date(2026, 12, 7)} on {platform.machine()}, {os.cpu_count()} "
        f"cores shared with other work, {platform.platform()}; command: `{command}`.",
        "",
        "Held out: the build's test split (20% of the photos), by name. The logistic "
        "regression is the chapter's (fitted on train + validation); the fine-tuned model "
        "is fitted on train only, validation choosing its epoch and temperature. "
        "'Validation' compares the fine-tuned model with the logistic regression refitted "
        "on train only (the chapter's choice of what submits).",
        "",
        "| photos | train/val/test | LR test log loss | LR accuracy | fine-tuned test log loss "
        "| fine-tuned accuracy | val: fine-tuned vs LR | best epoch | temperature | submits "
        "| seconds (features / LR / fine-tuning) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        (c, f, s) = (row["classifier"], row["finetune"], row["seconds"])
        split = "/".join(str(row["splits"][k]) for k in ("train", "val", "test"))
        lines.append(
            f"| {row['photos']} | {split} | {c['log_loss']:.4f} | {c['score']:.2%} "
            f"| {f['log_loss']:.4f} | {f['score']:.2%} "
            f"| {f['val_log_loss']:.4f} vs {f['classifier_val_log_loss']:.4f} "
            f"| {f['best_epoch']} | {f['temperature']:.3f} | {f['submit_with']} "
            f"| {s['features']:.0f} / {s['classifier']:.0f} / {s['finetune']:.0f} |"
        )
    options = rows[-1]["finetune"]["options"]
    lines += [
        "",
        f"Fine-tuning options (the defaults): {options}; cut at "
        f"{rows[-1]['finetune']['cut_layer']}, {options['trainViews']} views per training photo "
        f"cached, {rows[-1]['finetune']['cache_bytes_per_photo']:,} bytes per photo (float16).",
        "",
        "Validation log loss by epoch (0: the logistic regression's head, before training):",
        "",
    ]
    for row in rows:
        history = ", ".join(f"{v:.4f}" for v in row["finetune"]["history"])
        lines.append(f"- {row['photos']} photos: {history}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("photos", nargs="?", default=PHOTOS)
    parser.add_argument("--weights", default=WEIGHTS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2002])
    args = parser.parse_args(argv)
    rows = []
    for count in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            rows.append(measure(args.photos, count, args.weights, folder))
        print(rows[-1]["seconds"], rows[-1]["finetune"]["log_loss"], flush=True)
    text = page(rows, "python -m benchmarks.finetune " + " ".join(argv or sys.argv[1:]))
    with open(PAGE, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()

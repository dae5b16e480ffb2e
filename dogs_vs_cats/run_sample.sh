#!/usr/bin/env bash
# The whole Dogs vs Cats chain on the embedded sample, small enough for a CPU:
# generate -> build -> train AlexNet -> 10-crop accuracy -> features from the
# trained AlexNet -> logistic regression -> Kaggle-style submission.
# Run it with `make sample` from the repository root (which sets up .venv).
set -euo pipefail
cd "$(dirname "$0")"

DATA=datasets/sample
OUT=output/sample
rm -rf "$DATA" "$OUT"

python make_sample.py --output-dir "$DATA" --per-class 400 --test-images 100
python build_dogs_vs_cats.py --images "$DATA/train" --output-dir "$DATA/hdf5" \
    --mean "$OUT/mean.json" --val-size 100 --test-size 100 --size 72
python train_alexnet.py --train "$DATA/hdf5/train.hdf5" --val "$DATA/hdf5/val.hdf5" \
    --mean "$OUT/mean.json" --output-dir "$OUT" --model "$OUT/alexnet.keras" \
    --epochs 6 --batch-size 16 --input-size 64
python crop_accuracy.py --test "$DATA/hdf5/test.hdf5" --mean "$OUT/mean.json" \
    --model "$OUT/alexnet.keras" --output "$OUT/crop_accuracy.json"
python extract_features.py --dataset "$DATA/train" --output "$DATA/hdf5/features.hdf5" \
    --backbone "$OUT/alexnet.keras" --mean "$OUT/mean.json"
python train_model.py --db "$DATA/hdf5/features.hdf5" --classifier "$OUT/logistic_regression.json" \
    --report "$OUT/train_model.json"
python predict.py --images "$DATA/test1" --model "$OUT/alexnet.keras" --mean "$OUT/mean.json" \
    --size 72 --output "$OUT/submission.csv"

echo "[INFO] done: plot, history, reports and submission in dogs_vs_cats/$OUT/"
ls "$OUT"

#!/usr/bin/env bash
# The whole Dogs vs Cats chapter on the embedded sample, small enough for a CPU:
# generate the sample, then one chapter.py command: build -> train AlexNet ->
# rank-1 with and without 10 crops -> features from the trained AlexNet ->
# logistic regression -> Kaggle-style submission -> report.html.
# Run it with `make sample` from the repository root (which sets up .venv).
set -euo pipefail
cd "$(dirname "$0")"

DATA=datasets/sample
OUT=output/sample
rm -rf "$DATA" "$OUT"

python make_sample.py --output-dir "$DATA" --per-class 400 --test-images 100
python chapter.py --train "$DATA/train" --test "$DATA/test1" --output-dir "$OUT" \
    --size 72 --input-size 64 --epochs 6 --batch-size 16 --val-size 100 --test-size 100 \
    --backbone alexnet

echo "[INFO] done: open dogs_vs_cats/$OUT/report.html; every output is beside it"
ls "$OUT"

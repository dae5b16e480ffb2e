#!/usr/bin/env bash
# The chapter-9 scripts end to end on a GPU machine, on generated pictures at
# the book's sizes (256 stored, 227 input): build -> train_alexnet.py with the
# default --cache auto -> crop_accuracy.py with crops in the graph and on the
# CPU -> predict.py. Sizes can be lowered for a CPU smoke test:
#   PER_CLASS=40 HELD_OUT=10 EPOCHS=1 BATCH=16 bash benchmarks/gpu_end_to_end.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PER_CLASS=${PER_CLASS:-2500}; HELD_OUT=${HELD_OUT:-500}; EPOCHS=${EPOCHS:-3}; BATCH=${BATCH:-128}
RESULTS=${OUT:-benchmarks/results}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$RESULTS"
S=dogs_vs_cats
python3 $S/make_sample.py --output-dir "$WORK/photos" --per-class "$PER_CLASS" --test-images 200
python3 $S/build_dogs_vs_cats.py --images "$WORK/photos/train" --output-dir "$WORK/hdf5" \
    --mean "$WORK/mean.json" --val-size "$HELD_OUT" --test-size "$HELD_OUT"
start=$(date +%s%N)
python3 $S/train_alexnet.py --train "$WORK/hdf5/train.hdf5" --val "$WORK/hdf5/val.hdf5" \
    --mean "$WORK/mean.json" --output-dir "$WORK/out" --model "$WORK/out/alexnet.keras" \
    --epochs "$EPOCHS" --batch-size "$BATCH" --mixed-precision
echo "[TIME] train_alexnet.py: $(( ($(date +%s%N) - start) / 1000000 )) ms for $EPOCHS epochs"
cp "$WORK/out/alexnet.json" "$RESULTS/end_to_end_history.json"
for crops in graph cpu; do
    start=$(date +%s%N)
    python3 $S/crop_accuracy.py --test "$WORK/hdf5/test.hdf5" --mean "$WORK/mean.json" \
        --model "$WORK/out/alexnet.keras" --crop-path $crops --output "$RESULTS/crops_$crops.json"
    echo "[TIME] crop_accuracy.py --crop-path $crops: $(( ($(date +%s%N) - start) / 1000000 )) ms"
done
python3 $S/predict.py --images "$WORK/photos/test1" --model "$WORK/out/alexnet.keras" \
    --mean "$WORK/mean.json" --output "$RESULTS/end_to_end_submission.csv"

#!/usr/bin/env bash
# The chapter command on a folder of real Kaggle photos (train/ and test1/
# inside it), sized for a CPU, then the same command again with nothing
# changed; prints each stage's wall time and throughput, and screenshots the
# report with headless Chromium when there is one.
#   bash benchmarks/chapter_photos.sh ../shared/data/kaggle_sample [OUT]
set -euo pipefail
PHOTOS=$(realpath "$1")
OUT=$(realpath -m "${2:-/tmp/chapter_photos}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY="$ROOT/.venv/bin/python"
WEIGHTS="$ROOT/../shared/data/weights/mobilenet_v2_1.0_224_imagenet_no_top.weights.h5"
rm -rf "$OUT"
cd "$ROOT/dogs_vs_cats"
ARGS=(--train "$PHOTOS/train" --test "$PHOTOS/test1" --output-dir "$OUT"
      --size 72 --input-size 64 --epochs 10 --batch-size 32 --val-size 250 --test-size 250
      --backbone mobilenet_v2 --weights "$WEIGHTS" --workers 2)
start=$(date +%s.%N)
"$PY" chapter.py "${ARGS[@]}" > "$OUT.log" 2>&1
first=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
"$PY" chapter.py "${ARGS[@]}" > "$OUT.rerun.log" 2>&1
rerun=$(echo "$(date +%s.%N) - $start" | bc)
"$PY" - "$OUT/stages.json" <<'PYEOF'
import json, sys
stages = json.load(open(sys.argv[1]))
for name, entry in stages.items():
    rate = entry["images"] / entry["seconds"] if entry["seconds"] else 0
    print(f"{name:11s} {entry['seconds']:8.1f} s {entry['images']:7d} images {rate:8.1f} images/s")
print(f"{'stages':11s} {sum(e['seconds'] for e in stages.values()):8.1f} s")
PYEOF
echo "whole command: ${first} s; rerun with nothing changed: ${rerun} s"
grep -h "rank-1\|score:" "$OUT.log" || true
if command -v chromium > /dev/null; then
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$OUT.profile" \
    --window-size=1280,2200 --screenshot="$OUT.png" "file://$OUT/report.html" 2> /dev/null
  echo "screenshot: $OUT.png"
fi

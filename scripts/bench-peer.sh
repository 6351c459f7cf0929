#!/usr/bin/env bash
# scripts/bench-peer.sh — time `phantom build` against scripts/peer_build.py,
# the Python/OpenCV script a researcher would write for the same job, on the
# Congress portraits of $PHANTOM_DATA/faces/congress, and print the ratio.
#
# The job: the original and blur conditions of every portrait, faces found
# by the same YuNet model (yunet-face.onnx from $PHANTOM_MODELS, else the
# cache's models folder; phantom through ONNX Runtime, the peer through
# cv2.dnn), pixelated on a 10x10 grid, written as JPEG quality 95; no OCR;
# 2 phantom workers against 2 peer processes. The two run in turn, ROUNDS
# times (default 5), the order alternating, so that the machine's load falls
# on both alike; each round's load average is printed with its times. The
# ratio is the median of the rounds' phantom/peer wall-time ratios.
#
# Then the six-condition job with the ONNX models: run only when cv2.dnn can
# load every model phantom uses for it (it says which it cannot).
#
# Needs bin/phantom (make build) and /usr/bin/python3 with python3-opencv,
# which it installs with apt when missing.
set -euo pipefail

ROUNDS="${ROUNDS:-5}"
WORKERS="${WORKERS:-2}"
BIN="${BIN:-bin/phantom}"
PY=/usr/bin/python3
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/phantom"
DATA="${PHANTOM_DATA:?bench-peer: set PHANTOM_DATA to the real-data folder (it needs faces/congress)}"
MODELS="${PHANTOM_MODELS:-$CACHE/models}"
PHOTOS="$DATA/faces/congress"
HERE="$(cd "$(dirname "$0")" && pwd)"

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! "$PY" -c 'import cv2' 2>/dev/null; then
  echo "[bench-peer] installing python3-opencv (the peer's OpenCV)" >&2
  sudo_if_needed apt-get install -y python3-opencv >&2
fi
[ -x "$BIN" ] || { echo "bench-peer: $BIN missing (make build)" >&2; exit 1; }
[ -f "$MODELS/yunet-face.onnx" ] || { echo "bench-peer: $MODELS/yunet-face.onnx missing (phantom models fetch yunet-face)" >&2; exit 1; }
[ -d "$PHOTOS" ] || { echo "bench-peer: $PHOTOS missing" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The same photos for both: a manifest of every portrait (name = file stem).
{ echo "path,name"; for f in "$PHOTOS"/*.jpg; do b="$(basename "$f")"; echo "$b,${b%.jpg}"; done; } > "$work/photos.csv"
n=$(($(wc -l < "$work/photos.csv") - 1))
# phantom sees only YuNet, so that it runs the peer's model.
mkdir -p "$work/models"
ln -s "$(readlink -f "$MODELS/yunet-face.onnx")" "$work/models/yunet-face.onnx"

load() { cut -d' ' -f1 /proc/loadavg; }

run_phantom() {
  rm -rf "$work/out-phantom"
  "$BIN" build --manifest "$work/photos.csv" "$PHOTOS" -o "$work/out-phantom" --conditions original,blur \
    --models "$work/models" --device cpu --no-ocr --workers "$WORKERS" --contact-sheet 0 -q > "$work/phantom.log" 2>&1
}
run_peer() {
  rm -rf "$work/out-peer"
  "$PY" "$HERE/peer_build.py" --manifest "$work/photos.csv" --root "$PHOTOS" --model "$work/models/yunet-face.onnx" \
    --out "$work/out-peer" --workers "$WORKERS" > "$work/peer.log" 2>&1
}
# timed CMD: runs CMD and prints its wall and CPU (user + system, children
# included) seconds, from bash's time.
timed() {
  local TIMEFORMAT='%3R %3U %3S' t
  t=$( { time "$1" >/dev/null; } 2>&1 )
  awk '{ print $1, $2 + $3 }' <<< "$t"
}

echo "bench-peer: $n Congress portraits, conditions original,blur, YuNet, $WORKERS workers vs $WORKERS processes, $ROUNDS rounds; $(nproc) cores"
ratios=()
cratios=()
for r in $(seq 1 "$ROUNDS"); do
  l0=$(load)
  if [ $((r % 2)) -eq 1 ]; then
    read -r tp cpu < <(timed run_phantom); read -r tq pcpu < <(timed run_peer)
  else
    read -r tq pcpu < <(timed run_peer); read -r tp cpu < <(timed run_phantom)
  fi
  ratio=$(awk -v p="$tp" -v q="$tq" 'BEGIN { print p / q }')
  ratios+=("$ratio")
  share=$("$PY" -c "import json,sys; r=json.load(open(sys.argv[1]))['run']; print('%.0f%%' % (100*r['cpu_utilisation']))" "$work/out-phantom/summary.json")
  faces=$("$PY" -c "import json,sys; print(sum(json.loads(l)['faces'] for l in open(sys.argv[1]) if '\"condition\":\"original\"' in l))" "$work/out-phantom/metadata.jsonl")
  pfaces=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['faces'])" "$work/peer.log")
  cratios+=("$(awk -v p="$cpu" -v q="$pcpu" 'BEGIN { print p / q }')")
  printf 'round %d: phantom %.2fs, CPU %.2fs (%s of the cores in the build), %s faces; peer %.2fs, CPU %.2fs, %s faces; phantom/peer %.2f; load average %s -> %s\n' \
    "$r" "$tp" "$cpu" "$share" "$faces" "$tq" "$pcpu" "$pfaces" "$ratio" "$l0" "$(load)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf 'face-only job: phantom/peer wall time %.2f, CPU time %.2f (medians of %d interleaved rounds; below 1: phantom faster)\n' \
  "$(median "${ratios[@]}")" "$(median "${cratios[@]}")" "$ROUNDS"

# The six-condition job with the ONNX models: phantom's models for people
# and masks must load in cv2.dnn for the peer to do the same steps.
six=()
for f in yolov8n-coco.onnx isnet-quint8.onnx; do [ -f "$MODELS/$f" ] && six+=("$MODELS/$f"); done
if [ ${#six[@]} -eq 0 ]; then
  echo "six-condition job: not run (no person or mask model in $MODELS)"
elif "$PY" "$HERE/peer_build.py" --check "${six[@]}" 2>/dev/null; then
  echo "six-condition job: cv2.dnn loads the models, but the six-condition peer script is not written yet"
else
  echo "six-condition job: not run: cv2.dnn cannot run the same models (above), so no peer can do the same steps"
fi

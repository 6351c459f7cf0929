#!/usr/bin/env bash
# scripts/gpu-check.sh — phantom's CUDA check, for a machine with an NVIDIA GPU.
# Prepared, and dry-run, on a CPU machine: there it says that it found no GPU
# and runs everything that does not need one.
#
# The GPU machines this project is lent have no Go, no OpenCV or Tesseract
# libraries, no network, and take at most 64 MiB of files per call. So the
# check travels as a bundle built here, cut into chunks that are carried one
# call at a time and put back together outside the work tree:
#
#   here:  scripts/setup.sh --cuda          # the GPU build of ONNX Runtime (sha256 pinned)
#          PHANTOM_DATA=… PHANTOM_MODELS=… scripts/gpu-check.sh bundle .gpu-bundle
#          (.gitignore keeps .gpu-bundle/ out of the tree that travels; carry names a chunk)
#   there, one call per chunk, each with carry [".gpu-bundle/PARTS", ".gpu-bundle/<chunk>"]
#   (issue the calls back to back: the machine stays warm only ~30 s after each):
#          scripts/gpu-check.sh stash .gpu-bundle
#   there, the last call (carry [".gpu-bundle/PARTS"], timeout_s 600):
#          scripts/gpu-check.sh run --out "$OUT"
#
# bundle DIR  builds the bundle's two parts, each a gzip'd tar cut into chunks of
#             56 MiB (--chunk SIZE): "ort" (the four libraries of the cache's
#             ort-cuda folder, internal/ort's test binary, $PHANTOM_MODELS) is what
#             the device tests and BenchmarkRun need; "cli" (bin/phantom, the
#             gpucheck tool, the shared libraries phantom links outside glibc and
#             libstdc++, Tesseract's eng data, the Haar cascade, and the photos of
#             $PHANTOM_DATA the check uses) is what detect and build need. DIR/PARTS
#             lists every chunk with its sha256, and every file of the bundle's
#             SHA256SUMS travels inside it.
# stash DIR   moves the chunks carried in DIR to $PHANTOM_GPU_ROOT/parts (default
#             /root/phantom-gpu), checking each against PARTS.
# run         puts each part whose chunks are all stashed back together (once),
#             checks every file against SHA256SUMS and the four ONNX Runtime
#             libraries against the sha256 pinned in scripts/setup.sh, then runs,
#             as one sequence under --timeout SECONDS (default 540):
#               1. the machine: nvidia-smi, CPU count; the CUDA 13 / cuDNN 9
#                  libraries found (ldconfig, /usr/local/cuda*, pip's nvidia/*/lib)
#                  and put on LD_LIBRARY_PATH;
#               2. phantom doctor --device cuda;
#               3. the internal/ort device tests (TestCUDAPlugin and the seam tests)
#                  with the GPU build loaded;
#               4. BenchmarkRun on the CPU and with CUDA for every model in the
#                  bundle (-benchtime --benchtime, default 20x);
#               5. phantom detect --device cpu and --device cuda on the shared photos
#                  and the face_recognition examples, compared by gpucheck compare
#                  (same faces and people, IoU >= 0.9, score within 0.02);
#               6. phantom build of the 112 congress portraits plus the shared
#                  photos (gpucheck manifest), --device cpu then --device cuda, one
#                  after the other in this run, with nvidia-smi sampling the GPU's
#                  utilisation during the cuda build, and each build's time per
#                  stage (gpucheck stages: decode, ocr, detect, render, encode, write).
#             --steps LIST runs only some of doctor,tests,bench,detect,build;
#             --build-limit N builds only the manifest's first N photos.
#             With no GPU (no nvidia-smi or no /dev/nvidia0) it says so first, and:
#             the device tests check that CUDA fails clearly and auto falls back;
#             the cuda benchmarks skip with the reason; detect runs on the CPU twice
#             and the comparison checks those two against each other; the cuda build
#             is not run. Results go to --out DIR (default ./gpu-check-results):
#             results.md (for BENCHMARKS.md) and one log per step.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="${PHANTOM_GPU_ROOT:-/root/phantom-gpu}"
say() { printf '[gpu-check] %s\n' "$*" >&2; }
die() { printf 'gpu-check: %s\n' "$*" >&2; exit 1; }

# pinned_sha: the ORT_CUDA_SHA table of scripts/setup.sh (one place for the pins).
pinned_sha() { sed -n '/^declare -A ORT_CUDA_SHA=(/,/^)/p' "$here/scripts/setup.sh"; }

cmd_bundle() {
  local dir="" chunk=56M
  while [ $# -gt 0 ]; do
    case "$1" in
      --chunk) chunk="$2"; shift 2 ;;
      *) dir="$1"; shift ;;
    esac
  done
  [ -n "$dir" ] || die "bundle: which folder?"
  : "${PHANTOM_DATA:?set PHANTOM_DATA to the shared photos}" "${PHANTOM_MODELS:?set PHANTOM_MODELS to the shared models}"
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/phantom"
  eval "$(pinned_sha)"
  for f in "${!ORT_CUDA_SHA[@]}"; do
    [ "$(sha256sum "$cache/ort-cuda/$f" 2>/dev/null | cut -d' ' -f1)" = "${ORT_CUDA_SHA[$f]}" ] ||
      die "$cache/ort-cuda/$f missing or not the pinned build: run scripts/setup.sh --cuda"
  done
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT # stage is global: the trap runs after this function returns
  mkdir -p "$dir" "$stage/ort/bin" "$stage/ort/ort-cuda" "$stage/ort/models" "$stage/cli/bin" "$stage/cli/lib" "$stage/cli/share" "$stage/cli/data"
  rm -f "$dir"/*.part-* "$dir/PARTS"
  say "building the test binary, phantom and gpucheck"
  (cd "$here" && go test -c -o "$stage/ort/bin/ort.test" ./internal/ort)
  (cd "$here" && go build -o "$stage/cli/bin/phantom" ./cmd/phantom)
  (cd "$here" && CGO_ENABLED=0 go build -o "$stage/cli/bin/gpucheck" ./tools/gpucheck)
  cp "$cache"/ort-cuda/* "$stage/ort/ort-cuda/"
  cp "$PHANTOM_MODELS"/*.onnx "$stage/ort/models/"
  # The shared libraries phantom needs, but not glibc's nor the compiler's
  # runtime: the GPU machine's own (newer) ones serve, and older copies on
  # LD_LIBRARY_PATH would shadow them for ONNX Runtime and CUDA too.
  ldd "$stage/cli/bin/phantom" | awk '$3 ~ /^\// {print $3}' |
    grep -Ev '/(libc|libm|libdl|librt|libpthread|ld-linux-x86-64|libstdc\+\+|libgcc_s|libresolv|libutil)\.so' |
    while read -r l; do cp -L "$l" "$stage/cli/lib/"; done
  local tess
  tess=$(dirname "$(find /usr/share/tesseract-ocr -name eng.traineddata | head -1)")
  mkdir -p "$stage/cli/share/tessdata"
  cp "$tess/eng.traineddata" "$stage/cli/share/tessdata/"
  cp /usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml "$stage/cli/share/"
  mkdir -p "$stage/cli/data/faces"
  cp -r "$PHANTOM_DATA/photos" "$PHANTOM_DATA/backgrounds" "$stage/cli/data/"
  cp -r "$PHANTOM_DATA/faces/congress" "$PHANTOM_DATA/faces/face_recognition_examples" "$stage/cli/data/faces/"
  local part
  for part in ort cli; do
    (cd "$stage/$part" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum > SHA256SUMS)
    say "packing $part ($(du -sh "$stage/$part" | cut -f1))"
    tar -C "$stage/$part" -cf - . | gzip -1 | split -b "$chunk" -d -a 2 - "$dir/$part.tgz.part-"
  done
  (cd "$dir" && sha256sum -- *.part-* > PARTS)
  say "bundle in $dir: $(wc -l < "$dir/PARTS") chunks, $(du -ch "$dir"/*.part-* | tail -1 | cut -f1) in all:"
  cat "$dir/PARTS" >&2
}

cmd_stash() {
  local dir="${1:?stash: which folder?}" n=0 f
  [ -f "$dir/PARTS" ] || die "stash: no $dir/PARTS"
  mkdir -p "$ROOT/parts"
  for f in "$dir"/*.part-*; do
    [ -f "$f" ] || continue
    local want
    want=$(awk -v n="$(basename "$f")" '$2 == n {print $1}' "$dir/PARTS")
    [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$want" ] || die "stash: $f: sha256 is not the one in PARTS"
    mv -f "$f" "$ROOT/parts/" && n=$((n + 1))
  done
  cp "$dir/PARTS" "$ROOT/parts/PARTS"
  say "stashed $n chunks; in $ROOT/parts: $(ls "$ROOT/parts" | grep -c part-) of $(wc -l < "$dir/PARTS")"
}

# unpack PART: reassemble and unpack one part into $ROOT/PART (once), checking
# its SHA256SUMS. Returns 1 when some of its chunks are not stashed.
unpack() {
  local part=$1 parts="$ROOT/parts"
  if [ -f "$ROOT/$part/.unpacked" ]; then return 0; fi
  [ -f "$parts/PARTS" ] || return 1
  local names
  names=$(awk -v p="$part.tgz.part-" 'index($2, p) == 1 {print $2}' "$parts/PARTS")
  [ -n "$names" ] || return 1
  local n
  for n in $names; do [ -f "$parts/$n" ] || return 1; done
  (cd "$parts" && grep -F "$part.tgz.part-" PARTS | sha256sum -c --quiet -) || die "a chunk of $part is damaged"
  rm -rf "$ROOT/$part" && mkdir -p "$ROOT/$part"
  for n in $names; do cat "$parts/$n"; done | tar -xzf - -C "$ROOT/$part"
  (cd "$ROOT/$part" && sha256sum -c --quiet SHA256SUMS) || die "$part: files do not match SHA256SUMS"
  touch "$ROOT/$part/.unpacked"
}

# find_cuda_libs: put the directories holding CUDA 13 and cuDNN 9 on
# LD_LIBRARY_PATH, and report each library's directory.
find_cuda_libs() {
  local lib d found
  for lib in libcuda.so.1 libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9; do
    found=$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l {print $NF; exit}')
    if [ -z "$found" ]; then
      found=$(find /usr/local/cuda*/lib64 /usr/local/cuda*/targets/x86_64-linux/lib /usr/local/nvidia/lib64 \
        /opt /usr/local/lib /usr/lib/python3* -maxdepth 7 -name "$lib" 2>/dev/null | head -1 || true)
    fi
    if [ -n "$found" ]; then
      d=$(dirname "$found")
      case ":${LD_LIBRARY_PATH:-}:" in *":$d:"*) ;; *) export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;; esac
      echo "- $lib: $found"
    else
      echo "- $lib: NOT FOUND"
    fi
  done
}

cmd_run() {
  local out="$PWD/gpu-check-results" timeout_s=540 steps="doctor,tests,bench,detect,build" benchtime=20x limit=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --out) out="$2"; shift 2 ;;
      --timeout) timeout_s="$2"; shift 2 ;;
      --steps) steps="$2"; shift 2 ;;
      --benchtime) benchtime="$2"; shift 2 ;;
      --build-limit) limit="$2"; shift 2 ;;
      *) die "run: unknown argument $1" ;;
    esac
  done
  local deadline=$(( $(date +%s) + timeout_s ))
  mkdir -p "$out"
  local md="$out/results.md"
  # left: seconds before the deadline; each step gets at most that.
  left() { local l=$(( deadline - $(date +%s) )); [ "$l" -gt 5 ] && echo "$l" || echo 5; }
  built() { awk -F'[:,]' '/^  "built"/ {b = $2} /^  "failed"/ {f = $2} END {printf "%d / %d", b, f}' "$1/summary.json" 2>/dev/null || echo "no summary"; }
  want() { case ",$steps," in *",$1,"*) return 0 ;; esac; return 1; }
  step() { # step NAME CMD...: run under the time left; stdout to $out/NAME.out (or .log), stderr to $out/NAME.log
    local name=$1; shift
    local t0 rc=0 stdout="$out/$name.log"
    [ "${STEP_STDOUT:-}" = "" ] || stdout="$STEP_STDOUT"
    t0=$(date +%s.%N)
    if [ "$stdout" = "$out/$name.log" ]; then
      timeout --kill-after=5 "$(left)" "$@" > "$out/$name.log" 2>&1 || rc=$?
    else
      timeout --kill-after=5 "$(left)" "$@" > "$stdout" 2> "$out/$name.log" || rc=$?
    fi
    awk -v n="$name" -v rc="$rc" -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN {printf "%s: exit %d in %.1f s\n", n, rc, t1 - t0}' | tee -a "$out/steps.txt" >&2
    return $rc
  }

  local have_ort=0 have_cli=0
  unpack ort && have_ort=1 || true
  unpack cli && have_cli=1 || true
  [ "$have_ort" = 1 ] || die "run: the ort part is not all stashed in $ROOT/parts (see scripts/gpu-check.sh --help)"
  local O="$ROOT/ort" C="$ROOT/cli"
  export PHANTOM_ORT_LIB="$O/ort-cuda/libonnxruntime.so.1" PHANTOM_MODELS="$O/models"

  {
    echo "# phantom GPU check, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "## Machine"
    echo
    if command -v nvidia-smi >/dev/null && [ -e /dev/nvidia0 ]; then
      GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
      echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
    else
      GPU=""
      echo "- **NO NVIDIA GPU on this machine** (nvidia-smi: $(command -v nvidia-smi || echo absent), /dev/nvidia0: $([ -e /dev/nvidia0 ] && echo present || echo absent)): a dry run; no CUDA figure below is a measurement"
    fi
    echo "- CPU: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "- ONNX Runtime: $PHANTOM_ORT_LIB"
    echo "- CUDA libraries:"
    find_cuda_libs
    echo
    echo "## Libraries (sha256 against scripts/setup.sh's pins)"
    echo
    eval "$(pinned_sha)"
    local f bad=0
    for f in "${!ORT_CUDA_SHA[@]}"; do
      if [ "$(sha256sum "$O/ort-cuda/$f" | cut -d' ' -f1)" = "${ORT_CUDA_SHA[$f]}" ]; then echo "- $f: ok"; else echo "- $f: MISMATCH"; bad=1; fi
    done
    [ "$bad" = 0 ] || { echo; echo "**stopped: a library is not the pinned build**"; }
  } > "$md"
  if grep -q MISMATCH "$md"; then cat "$md"; die "a library is not the pinned build"; fi
  [ -n "$GPU" ] || say "NO NVIDIA GPU on this machine: a dry run (CUDA steps fail or skip, and say why)"

  # phantom with the bundle's libraries, Tesseract data and Haar cascade.
  local phantom=(env LD_LIBRARY_PATH="$C/lib:${LD_LIBRARY_PATH:-}" PHANTOM_HAAR_CASCADE="$C/share/haarcascade_frontalface_alt2.xml"
    TESSDATA_PREFIX="$C/share/tessdata" "$C/bin/phantom")
  if want doctor && [ "$have_cli" = 1 ]; then
    step doctor "${phantom[@]}" doctor --device cuda || true
    { echo; echo "## phantom doctor --device cuda"; echo; echo '```'; cat "$out/doctor.log"; echo '```'; } >> "$md"
  fi
  if want tests; then
    step tests "$O/bin/ort.test" -test.v -test.count=1 \
      -test.run '^(TestCUDAPlugin|TestSessionOptionsSeam|TestEnvIsSingleton|TestEpDevicesCPU|TestPickCUDADevice|TestLibraryCandidatesCUDADir|TestDevices|TestOpenRunRealModel)$' || true
    { echo; echo "## internal/ort device tests ($(grep -c '^--- PASS' "$out/tests.log") passed, $(grep -c '^--- FAIL' "$out/tests.log") failed, $(grep -c '^--- SKIP' "$out/tests.log") skipped)"; echo
      echo '```'; grep -E '^(--- |    plugin_test|        plugin_test|ok|FAIL|PASS)' "$out/tests.log" | cut -c1-400; echo '```'; } >> "$md"
  fi
  if want bench; then
    step bench "$O/bin/ort.test" -test.v -test.run '^$' -test.bench '^BenchmarkRun$' -test.benchtime "$benchtime" -test.count 1 || true
    { echo; echo "## BenchmarkRun (-benchtime $benchtime; ns/op is wall time per run; provider and GPU: ${GPU:-none})"; echo
      echo '```'; grep -E '(^Benchmark.*ns/op|^--- SKIP|^--- FAIL|^    bench_test|^ok|^FAIL)' "$out/bench.log" | cut -c1-300; echo '```'; } >> "$md"
  fi
  if want detect && [ "$have_cli" = 1 ]; then
    local P=("$C/data/photos" "$C/data/faces/face_recognition_examples") det=("${phantom[@]}" detect -q --models "$PHANTOM_MODELS")
    STEP_STDOUT="$out/detect-cpu.jsonl" step detect-cpu "${det[@]}" --device cpu "${P[@]}" || true
    local second=cuda
    [ -n "$GPU" ] || second=cpu2
    STEP_STDOUT="$out/detect-$second.jsonl" step detect-$second "${det[@]}" --device "${second%2}" "${P[@]}" || true
    step compare "$C/bin/gpucheck" compare "$out/detect-cpu.jsonl" "$out/detect-$second.jsonl" || true
    { echo; echo "## phantom detect: --device cpu against $([ -n "$GPU" ] && echo "--device cuda ($GPU)" || echo "a second --device cpu run")"; echo
      [ -n "$GPU" ] || echo "No GPU: the second run is on the CPU too, so this checks the comparison itself (the two CPU runs must agree)."
      echo; echo '```'; head -c 2000 "$out/detect-$second.log"; cat "$out/compare.log"; echo '```'; } >> "$md"
  fi
  if want build && [ "$have_cli" = 1 ]; then
    local man="$out/manifest.csv"
    "$C/bin/gpucheck" manifest "$C/data" "$man"
    if [ "$limit" -gt 0 ]; then head -n $((limit + 1)) "$man" > "$man.tmp" && mv "$man.tmp" "$man"; fi
    local photos=$(( $(wc -l < "$man") - 1 ))
    local bld=("${phantom[@]}" build "$C/data" --manifest "$man" --models "$PHANTOM_MODELS" --backgrounds "$C/data/backgrounds" --contact-sheet 0)
    rm -rf "$ROOT/build-cpu" "$ROOT/build-cuda"
    step build-cpu "${bld[@]}" -o "$ROOT/build-cpu" --device cpu || true
    { echo; echo "## phantom build of $photos photos (gpucheck manifest: congress portraits and shared photos), CPU then GPU, one run"; echo
      echo "| device | wall s (the step's) | built / failed |"; echo "| --- | ---: | --- |"
      echo "| cpu, $(nproc) cores | $(grep '^build-cpu:' "$out/steps.txt" | tail -1 | awk '{print $(NF-1)}') | $(built "$ROOT/build-cpu") |"; } >> "$md"
    if [ -n "$GPU" ]; then
      nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 200 > "$out/gpu-util.txt" 2>/dev/null &
      local smi=$!
      step build-cuda "${bld[@]}" -o "$ROOT/build-cuda" --device cuda || true
      kill "$smi" 2>/dev/null || true
      local util
      util=$(awk '{s += $1; if ($1 > 0) b++; n++} END {if (n) printf "mean %.0f%%, busy (>0%%) in %.0f%% of %d samples", s/n, 100*b/n, n}' "$out/gpu-util.txt")
      echo "| cuda, $GPU | $(grep '^build-cuda:' "$out/steps.txt" | tail -1 | awk '{print $(NF-1)}') | $(built "$ROOT/build-cuda") |" >> "$md"
      { echo; echo "GPU utilisation during the cuda build (nvidia-smi every 200 ms): $util"; } >> "$md"
    else
      { echo "| cuda | not run | no GPU on this machine |"; } >> "$md"
    fi
    # The split between detection and the CPU work around it (issue 16, item 4).
    local sums=("cpu, $(nproc) cores=$ROOT/build-cpu/summary.json")
    [ -f "$ROOT/build-cuda/summary.json" ] && sums+=("cuda, $GPU=$ROOT/build-cuda/summary.json")
    { echo; echo "Stages (phantom build's summary.json):"; echo; "$C/bin/gpucheck" stages "${sums[@]}" 2>&1; } >> "$md"
  fi
  [ "$have_cli" = 1 ] || { echo; echo "The cli part of the bundle was not stashed: doctor, detect and build were not run."; } >> "$md"
  { echo; echo "## Steps"; echo; echo '```'; cat "$out/steps.txt"; echo '```'; } >> "$md"
  cat "$md"
}

case "${1:-}" in
  bundle) shift; cmd_bundle "$@" ;;
  stash) shift; cmd_stash "$@" ;;
  run) shift; cmd_run "$@" ;;
  -h|--help|"") sed -n '2,/^set -euo pipefail/p' "$0" | sed '$d'; [ -n "${1:-}" ] || exit 2 ;;
  *) die "unknown command $1 (bundle, stash or run)" ;;
esac

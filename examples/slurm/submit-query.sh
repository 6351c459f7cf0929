#!/usr/bin/env bash
# Ask the study's questions as a Slurm job array of N shards, each task with
# its own server on its node, then merge the results and write the report:
#
#   VARIANTS=/shared/build/dataset RESULTS=/shared/results N=8 MODEL=llava:7b \
#     examples/slurm/submit-query.sh
#
# The other variables are query.sbatch's; SBATCH_FLAGS are passed to the
# array's sbatch (e.g. "--partition=gpu --gres=gpu:1"). WAIT=1 waits for
# the merge and exits with its status.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
N=${N:-4}
# shellcheck disable=SC2086
array=$(sbatch --parsable --array="0-$((N - 1))" ${SBATCH_FLAGS:-} "$here/query.sbatch")
echo "query array: $array"
merge=(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes)
if [ -n "${WAIT:-}" ]; then
	merge+=(--wait)
fi
"${merge[@]}" "$here/merge-query.sbatch" | sed 's/^/merge: /'

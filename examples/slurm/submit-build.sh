#!/usr/bin/env bash
# Build a photo collection as a Slurm job array of N shards, then merge the
# parts once every shard has succeeded:
#
#   PHOTOS=/shared/photos OUT=/shared/build N=16 examples/slurm/submit-build.sh
#
# N (default 4) tasks of CPUS (default 4) cores each; the other variables
# are build.sbatch's. WAIT=1 waits for the merge to end and exits with its
# status. Prints the array's and the merge's job ids.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
N=${N:-4}
CPUS=${CPUS:-4}
array=$(sbatch --parsable --array="0-$((N - 1))" --cpus-per-task="$CPUS" "$here/build.sbatch")
echo "build array: $array"
merge=(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes)
if [ -n "${WAIT:-}" ]; then
	merge+=(--wait)
fi
"${merge[@]}" "$here/merge-build.sbatch" | sed 's/^/merge: /'

package main

// shardUsage is the --shard flag's help, the same for every command that
// splits its work (build, query, names count); what is split comes first.
func shardUsage(what string) string {
	return "do only shard i/n of the " + what + " (i from 0), or auto: i and n from the Slurm job array " +
		"(SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT or _MIN/_MAX) or the Kubernetes Indexed Job " +
		"(JOB_COMPLETION_INDEX with PHANTOM_SHARD_COUNT)"
}

package pipeline

import "github.com/phantom-vlm/phantom/shard"

// Shard is one of N deterministic parts of a collection: a photo belongs to
// shard I when the first 64 bits of its ID, read as a number, are I modulo N
// (shard.Shard.HasID). It is the shard package's type.
type Shard = shard.Shard

// ParseShard parses "i/n" with 0 ≤ i < n, or "auto" (the Slurm job array's
// or Kubernetes Indexed Job's environment); see shard.Parse.
func ParseShard(s string) (Shard, error) { return shard.Parse(s, nil) }

package shard_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/shard"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		env     map[string]string
		want    shard.Shard
		wantErr string
	}{
		{in: "", want: shard.All},
		{in: "0/4", want: shard.Shard{I: 0, N: 4}},
		{in: " 3/4 ", want: shard.Shard{I: 3, N: 4}},
		{in: "4/4", wantErr: "want 0 ≤ i < n"},
		{in: "x", wantErr: "want i/n"},
		{in: "a/b", wantErr: "whole numbers"},
		{in: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "5"}, want: shard.Shard{I: 2, N: 5}},
		{in: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4"}, want: shard.Shard{I: 2, N: 4}},
		{in: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4", "SLURM_ARRAY_TASK_COUNT": "4"}, want: shard.Shard{I: 2, N: 4}},
		{in: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6", "SLURM_ARRAY_TASK_COUNT": "4"}, want: shard.Shard{I: 2, N: 4}},
		{in: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6", "SLURM_ARRAY_TASK_COUNT": "4"}, wantErr: "does not fit"},
		{in: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "5"}, wantErr: "want 0 ≤ i < n"},
		{in: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, wantErr: "not SLURM_ARRAY_TASK_COUNT"},
		{in: "auto", env: map[string]string{"SLURM_ARRAY_TASK_ID": "one", "SLURM_ARRAY_TASK_COUNT": "5"}, wantErr: "not a whole number"},
		{in: "auto", env: map[string]string{"JOB_COMPLETION_INDEX": "1", "PHANTOM_SHARD_COUNT": "3"}, want: shard.Shard{I: 1, N: 3}},
		{in: "auto", env: map[string]string{"JOB_COMPLETION_INDEX": "1"}, wantErr: "PHANTOM_SHARD_COUNT"},
		{in: "auto", env: map[string]string{}, wantErr: "no SLURM_ARRAY_TASK_ID"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %v", tt.in, tt.env), func(t *testing.T) {
			got, err := shard.Parse(tt.in, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNoSchedulerSentinel(t *testing.T) {
	_, err := shard.Parse("auto", func(string) string { return "" })
	if !errors.Is(err, shard.ErrNoScheduler) {
		t.Fatalf("err %v is not ErrNoScheduler", err)
	}
}

// Every key lands in exactly one shard, and the parts are roughly even.
func TestPartition(t *testing.T) {
	const n = 4
	counts := make([]int, n)
	for k := 0; k < 4000; k++ {
		key := fmt.Sprintf("key-%d", k)
		id := fmt.Sprintf("%016x", uint64(k)*0x9e3779b97f4a7c15)
		in, inID := 0, 0
		for i := 0; i < n; i++ {
			s := shard.Shard{I: i, N: n}
			if s.HasKey(key) {
				in++
				counts[i]++
			}
			if s.HasID(id) {
				inID++
			}
		}
		if in != 1 || inID != 1 {
			t.Fatalf("key %q in %d shards, id %s in %d", key, in, id, inID)
		}
	}
	for i, c := range counts {
		if c < 800 || c > 1200 {
			t.Errorf("shard %d/%d holds %d of 4000 keys", i, n, c)
		}
	}
	if !shard.All.HasKey("anything") || !shard.All.HasID("zz") {
		t.Error("All must hold everything")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func ExampleParse() {
	// Inside `sbatch --array=0-3`, task 2 sees these variables.
	env := map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"}
	s, err := shard.Parse("auto", func(k string) string { return env[k] })
	fmt.Println(s, err)
	// Output: 2/4 <nil>
}

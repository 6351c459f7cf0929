// Package testenv gives tests the real photos and models of the
// environment: the folders named by PHANTOM_DATA and PHANTOM_MODELS, which
// .ci/run sets when they exist. A test that needs one skips cleanly when it
// is not there.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// The environment variables naming the real-data and models folders.
const (
	DataEnv   = "PHANTOM_DATA"
	ModelsEnv = "PHANTOM_MODELS"
)

// Data returns the path of elem inside $PHANTOM_DATA, skipping the test when
// the variable is unset or the file is missing.
func Data(t testing.TB, elem ...string) string {
	t.Helper()
	return lookup(t, DataEnv, filepath.Join(elem...))
}

// Model returns the path of the model file name inside $PHANTOM_MODELS,
// skipping the test when the variable is unset or the file is missing.
func Model(t testing.TB, name string) string {
	t.Helper()
	return lookup(t, ModelsEnv, name)
}

func lookup(t testing.TB, env, rel string) string {
	t.Helper()
	dir := os.Getenv(env)
	if dir == "" {
		t.Skip(env + " not set")
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s: %v", rel, err)
	}
	return p
}

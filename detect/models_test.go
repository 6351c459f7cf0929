package detect

import "testing"

func TestModelsDir(t *testing.T) {
	t.Setenv(ModelsEnv, "/env/models")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if got := ModelsDir("/flag"); got != "/flag" {
		t.Errorf("flag: %s", got)
	}
	if got := ModelsDir(""); got != "/env/models" {
		t.Errorf("env: %s", got)
	}
	t.Setenv(ModelsEnv, "")
	if got := ModelsDir(""); got != "/cache/phantom/models" {
		t.Errorf("cache: %s", got)
	}
}

package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCommitAndAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Aborted: the old file stays, no temporary file is left.
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	f.Abort()
	f.Abort()
	assertFile(t, path, "old\n")
	assertOnly(t, dir, "out.jsonl")

	// While writing, the destination is untouched; after Commit it is whole.
	f, err = Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("new line\n")); err != nil {
		t.Fatal(err)
	}
	assertFile(t, path, "old\n")
	if f.Size() != 9 {
		t.Errorf("Size %d, want 9", f.Size())
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // no effect after Commit
	assertFile(t, path, "new line\n")
	assertOnly(t, dir, "out.jsonl")
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("Write after Commit succeeded")
	}
	if err := f.Commit(); err == nil {
		t.Error("second Commit succeeded")
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	if err := WriteFile(path, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	assertFile(t, path, "{}")
	if err := WriteFile(filepath.Join(dir, "missing", "a.json"), nil); err == nil {
		t.Error("WriteFile into a missing folder succeeded")
	}
	if !IsTemp(TempPrefix+"x") || IsTemp("x") {
		t.Error("IsTemp")
	}
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("%s = %q, %v; want %q", path, got, err, want)
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(names) {
		var got []string
		for _, e := range ents {
			got = append(got, e.Name())
		}
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
}

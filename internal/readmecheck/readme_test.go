package readmecheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// librarySnippets returns the ```go blocks of README.md's "## Library"
// section.
func librarySnippets(t *testing.T, readme string) []string {
	t.Helper()
	_, sec, ok := strings.Cut(readme, "\n## Library\n")
	if !ok {
		t.Fatal("README.md has no \"## Library\" section")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var blocks []string
	for {
		_, rest, ok := strings.Cut(sec, "```go\n")
		if !ok {
			break
		}
		code, after, ok := strings.Cut(rest, "```\n")
		if !ok {
			t.Fatal("unterminated ```go block in the library section")
		}
		blocks = append(blocks, code)
		sec = after
	}
	return blocks
}

// TestReadmeLibraryCompiles writes each block of the library section as the
// main package of a module that uses this checkout (a replace directive, the
// modules from the local cache only) and runs go vet on them: the snippets
// compile as written, with the imports they show.
func TestReadmeLibraryCompiles(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := librarySnippets(t, string(readme))
	if len(blocks) < 2 {
		t.Fatalf("%d go blocks in the library section, want the two programs", len(blocks))
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH: %v", err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mod := "module readme\n\ngo 1.26.0\n\nrequire github.com/phantom-vlm/phantom v0.0.0\n\nreplace github.com/phantom-vlm/phantom => " + root + "\n"
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", mod)
	write("go.sum", string(sum))
	for i, b := range blocks {
		if !strings.HasPrefix(b, "package main\n") {
			t.Errorf("block %d is not a whole program (package main):\n%s", i+1, b)
		}
		write(filepath.Join("snippet"+string(rune('1'+i)), "main.go"), b)
	}
	cmd := exec.Command(goTool, "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the README's library snippets do not compile: %v\n%s", err, out)
	}
}

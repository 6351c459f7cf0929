package scene_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBuildsWithoutCgo: the packages an importer needs to read scenes, run
// the study's queries and use the builder's types (pipeline, leak,
// anonymize, background, imageio and this one) build with CGO_ENABLED=0,
// that is without OpenCV, ONNX Runtime, Tesseract or libjpeg-turbo. A cgo
// import slipping into one of them fails here, naming it.
func TestBuildsWithoutCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	pkgs := []string{"pipeline", "scene", "leak", "anonymize", "background", "imageio"}
	for i, p := range pkgs {
		pkgs[i] = "github.com/phantom-vlm/phantom/" + p
	}
	cmd := exec.Command(gobin, append([]string{"build"}, pkgs...)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
}

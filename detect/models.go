package detect

import (
	"os"

	"github.com/phantom-vlm/phantom/internal/cachedir"
)

// ModelsEnv is the environment variable naming the models directory.
const ModelsEnv = "PHANTOM_MODELS"

// ModelsDir returns the models directory: dir when it is not empty, else
// $PHANTOM_MODELS, else the "models" folder of phantom's cache directory.
func ModelsDir(dir string) string {
	if dir != "" {
		return dir
	}
	if d := os.Getenv(ModelsEnv); d != "" {
		return d
	}
	return cachedir.Path("models")
}

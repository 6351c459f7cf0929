// Command phantom builds condition variants of photos of known people, asks
// vision-language models about them, and reports how often the models name
// the person. Run "phantom help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at link time with -ldflags "-X main.version=...".
var version = "dev"

// errSomeFailed is returned by batch commands when at least one input failed;
// the failures have already been printed.
var errSomeFailed = errors.New("some inputs failed")

// rootCmd is the top-level command; each subcommand's file adds itself in an
// init function.
var rootCmd = &cobra.Command{
	Use:   "phantom",
	Short: "Measure identity leakage of vision-language models on photos of known people",
	Long: `phantom builds the condition variants of the identity-leakage study (original, face
pixelation, background replacement), queries VLM servers with the study's prompts, and
reports how often the models name the person.`,
	Version:       version,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCmd.ExecuteContext(ctx); err != nil {
		if !errors.Is(err, errSomeFailed) {
			fmt.Fprintln(os.Stderr, "phantom:", err)
		}
		os.Exit(1)
	}
}

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
	"sync/atomic"
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
	os.Exit(run())
}

// run executes the command line and returns the exit status. SIGINT or
// SIGTERM cancels the command's context, so that a batch stops cleanly
// and records what it finished; a second signal ends the process at once.
// A run stopped by a signal exits with 128 plus the signal's number, as a
// shell reports it.
func run() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var caught atomic.Value // os.Signal
	go func() {
		s := <-sigs
		caught.Store(s)
		signal.Stop(sigs) // the next one takes its default action
		cancel()
	}()
	defer signal.Stop(sigs)
	err := rootCmd.ExecuteContext(ctx)
	if s, ok := caught.Load().(os.Signal); ok && errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "phantom: stopped (%v)\n", s)
		if n, ok := s.(syscall.Signal); ok {
			return 128 + int(n)
		}
		return 1
	}
	if err != nil {
		if !errors.Is(err, errSomeFailed) {
			fmt.Fprintln(os.Stderr, "phantom:", err)
		}
		return 1
	}
	return 0
}

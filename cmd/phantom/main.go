// Command phantom builds condition variants of photos of known people, asks
// vision-language models about them, and reports how often the models name
// the person. Run "phantom help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// streams are where a command writes: Out its results, ErrOut its log and
// its failures.
type streams struct {
	Out, ErrOut io.Writer
}

// streamsOf returns the writers cmd was given (SetOut, SetErr), else the
// process's stdout and stderr.
func streamsOf(cmd *cobra.Command) streams {
	return streams{Out: cmd.OutOrStdout(), ErrOut: cmd.ErrOrStderr()}
}

// newRootCmd returns the top-level command with every subcommand, each
// made fresh with its own options.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "phantom",
		Short: "Measure identity leakage of vision-language models on photos of known people",
		Long: `phantom builds the condition variants of the identity-leakage study (original, face
pixelation, background replacement), queries VLM servers with the study's prompts, and
reports how often the models name the person.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newAnonymizeCmd(&anonymizeOptions{}),
		newAuditCmd(&auditOptions{}),
		newBackgroundCmd(&backgroundOptions{}),
		newBuildCmd(&buildOptions{}),
		newDetectCmd(&detectOptions{}),
		newDoctorCmd(&doctorOptions{}),
		newModelsCmd(&modelsOptions{}),
		newNamesCmd(),
		newOCRCmd(&ocrOptions{}),
		newQueryCmd(&queryOptions{}),
		newReportCmd(&reportOptions{}),
	)
	return root
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
	err := execute(ctx, os.Args[1:], streams{Out: os.Stdout, ErrOut: os.Stderr})
	if s, ok := caught.Load().(os.Signal); ok && errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "phantom: stopped (%v)\n", s)
		if n, ok := s.(syscall.Signal); ok {
			return 128 + int(n)
		}
		return 1
	}
	return exitStatus(err, os.Stderr)
}

// execute runs the command line args (without the program's name) on a
// fresh command tree, writing to s, and returns the command's error.
func execute(ctx context.Context, args []string, s streams) error {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	return root.ExecuteContext(ctx)
}

// exitStatus prints err to w, unless the failures were printed already,
// and returns the exit status for it: 0 for none, else 1.
func exitStatus(err error, w io.Writer) int {
	if err == nil {
		return 0
	}
	if !errors.Is(err, errSomeFailed) {
		fmt.Fprintln(w, "phantom:", err)
	}
	return 1
}

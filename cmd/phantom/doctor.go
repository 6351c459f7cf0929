package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/internal/ort"
)

// doctorOptions are phantom doctor's flags.
type doctorOptions struct {
	streams
	device string
	cudaID int
	json   bool
}

// newDoctorCmd returns phantom doctor, parsing its flags into opts.
func newDoctorCmd(opts *doctorOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Say which ONNX Runtime library phantom loads, its execution providers and the GPUs it sees",
		Long: `doctor loads ONNX Runtime as a command with the same --device would
($PHANTOM_ORT_LIB, else for auto and cuda the GPU build that scripts/setup.sh --cuda
puts in the cache's ort-cuda folder, else the cache's CPU library, else the system's)
and prints the library's path and version, the execution providers built into it,
the CUDA plugin beside it and whether it registered, the CUDA libraries the loader
cannot find, every device the providers list, and whether a session can be set up
on the CUDA device. With --device cuda the exit status is 1 when it cannot.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.streams = streamsOf(cmd)
			return runDoctor(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.device, "device", "auto", "load ONNX Runtime as for this device: auto, cpu or cuda")
	f.IntVar(&opts.cudaID, "cuda-device", 0, "the CUDA device to check")
	f.BoolVar(&opts.json, "json", false, "print the report as one JSON object")
	return cmd
}

// runDoctor prints where ONNX Runtime is loaded from and what it sees.
func runDoctor(opts *doctorOptions) error {
	dev, err := ort.ParseDevice(opts.device)
	if err != nil {
		return err
	}
	r, probeErr := ort.Probe("", dev, opts.cudaID)
	if r.Library == "" {
		return probeErr
	}
	out := opts.Out
	if opts.json {
		if err := json.NewEncoder(out).Encode(r); err != nil {
			return err
		}
		return probeErr
	}
	fmt.Fprintf(out, "ONNX Runtime library: %s\n", r.Library)
	fmt.Fprintf(out, "version:              %s\n", r.Version)
	fmt.Fprintf(out, "built-in providers:   %s\n", strings.Join(r.Providers, ", "))
	switch {
	case r.CUDAPlugin == "":
		fmt.Fprintln(out, "CUDA plugin:          none beside the library")
	case r.PluginError != "":
		fmt.Fprintf(out, "CUDA plugin:          %s (not registered: %s)\n", r.CUDAPlugin, r.PluginError)
	default:
		fmt.Fprintf(out, "CUDA plugin:          %s\n", r.CUDAPlugin)
	}
	if dev != ort.DeviceCPU {
		missing := "none"
		if len(r.MissingCUDA) > 0 {
			missing = strings.Join(r.MissingCUDA, ", ")
		}
		fmt.Fprintf(out, "CUDA libraries missing: %s\n", missing)
	}
	fmt.Fprintln(out, "devices:")
	for _, d := range r.Devices {
		fmt.Fprintf(out, "  %s on %s %s (vendor %#04x, device %#04x)\n", d.Provider, d.Kind, d.Vendor, d.VendorID, d.DeviceID)
	}
	fmt.Fprintf(out, "GPU devices:          %d\n", len(r.GPUs))
	switch {
	case dev == ort.DeviceCPU:
		fmt.Fprintln(out, "CUDA:                 not tried (--device cpu)")
	case r.CUDA != "":
		fmt.Fprintf(out, "CUDA:                 %s\n", r.CUDA)
	default:
		fmt.Fprintf(out, "CUDA:                 unavailable: %s\n", r.CUDAError)
	}
	return probeErr
}

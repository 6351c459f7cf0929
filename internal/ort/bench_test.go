package ort

import (
	"context"
	"errors"
	"testing"
)

// BenchmarkRun times one ONNX Runtime run of each real model in
// $PHANTOM_MODELS on a fixed input, on the CPU and, where the CUDA
// execution provider loads, on the GPU (the cuda sub-benchmarks skip with
// the reason otherwise). It is the bare model cost that the detect
// benchmarks' stages are measured against, and the one benchmark that needs
// nothing but this package and the library, so it runs on a GPU machine
// without OpenCV:
//
//	go test ./internal/ort -run '^$' -bench Run -benchtime 20x
func BenchmarkRun(b *testing.B) {
	needLib(b)
	for _, name := range []string{"yunet-face.onnx", "yolov8-lite-t-face.onnx", "yolov8n-coco.onnx", "isnet-quint8.onnx"} {
		b.Run(name, func(b *testing.B) {
			p := modelPath(b, name)
			sig, err := Inspect(p)
			if err != nil {
				b.Fatal(err)
			}
			inputs := make([]Tensor, len(sig.Inputs))
			for i, in := range sig.Inputs {
				if in.Type != Float32 {
					b.Skipf("input %s is %v; only float32 inputs are benchmarked", in.Name, in.Type)
				}
				shape := append([]int64{}, in.Shape...)
				n := 1
				for j, d := range shape {
					if d < 0 {
						shape[j] = 640
					}
					n *= int(shape[j])
				}
				data := make([]float32, n)
				for j := range data {
					data[j] = float32(j%251) / 251 // a fixed, non-constant image
				}
				inputs[i] = NewFloat32(shape, data)
			}
			for _, dev := range []Device{DeviceCPU, DeviceCUDA} {
				b.Run(string(dev), func(b *testing.B) {
					s, err := Open(p, sig, WithDevice(dev))
					if errors.Is(err, ErrCUDAUnavailable) {
						b.Skip(err)
					}
					if err != nil {
						b.Fatal(err)
					}
					defer s.Close()
					ctx := context.Background()
					// The first run on CUDA builds its kernels and
					// allocations: keep it out of the timing.
					if _, err := s.Run(ctx, inputs...); err != nil {
						b.Fatal(err)
					}
					for b.Loop() {
						if _, err := s.Run(ctx, inputs...); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

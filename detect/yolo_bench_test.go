package detect

import (
	"context"
	"image"
	"syscall"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/internal/ort"
)

// The benchmarks split each model's detection into its stages: Pre
// (letterbox into the input tensor, with the photo and the buffer in the
// caches), PreAfterRun (the same after a model run, as in a detector),
// Run (ONNX Runtime alone, on that tensor), Post (decoding, NMS, mapping
// back) and Detect (all of it, as a caller sees it). Run them with
// PHANTOM_MODELS and PHANTOM_DATA set:
//
//	go test ./detect -run '^$' -bench 'YOLO|YuNet' -benchtime 20x

type stageModel interface {
	preprocess(image.Image) (*inputBuf, letterbox)
	runTensor(context.Context, []float32) ([]ort.Tensor, error)
	decodeOut([]ort.Tensor, letterbox, image.Rectangle) (int, error)
	put(*inputBuf)
}

func (m *yoloModel) runTensor(ctx context.Context, in []float32) ([]ort.Tensor, error) {
	return m.sess.Run(ctx, ort.NewFloat32([]int64{1, 3, int64(m.h), int64(m.w)}, in))
}
func (m *yoloModel) decodeOut(o []ort.Tensor, l letterbox, b image.Rectangle) (int, error) {
	d, err := m.decode(o, l, b)
	return len(d), err
}
func (m *yoloModel) put(b *inputBuf) { m.pool.put(b) }

func (y *YuNet) runTensor(ctx context.Context, in []float32) ([]ort.Tensor, error) {
	return y.sess.Run(ctx, ort.NewFloat32([]int64{1, 3, int64(y.h), int64(y.w)}, in))
}
func (y *YuNet) decodeOut(o []ort.Tensor, l letterbox, b image.Rectangle) (int, error) {
	d, err := y.decode(o, l, b)
	return len(d), err
}
func (y *YuNet) put(b *inputBuf) { y.pool.put(b) }

// cpuTime returns the CPU time (user + system) the process has used so far:
// the benchmarks report it per op as cpu-ms/op, which a busy machine
// disturbs much less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loopCPU runs f b.N times and reports its CPU time per op.
func loopCPU(b *testing.B, f func()) {
	c0 := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

func benchStages(b *testing.B, m stageModel, photo string) {
	img := realPhoto(b, photo)
	ctx := context.Background()
	buf, l := m.preprocess(img)
	outs, err := m.runTensor(ctx, buf.data)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Pre", func(b *testing.B) {
		// One untimed call, so that the pool holds an input buffer, as it
		// does in a detector that has run before: the timed loop is the
		// per-photo work, not the buffer's first allocation.
		m.put(first(m.preprocess(img)))
		loopCPU(b, func() {
			bb, _ := m.preprocess(img)
			m.put(bb)
		})
	})
	b.Run("PreAfterRun", func(b *testing.B) {
		// Pre as a detector meets it: after a model run, which leaves
		// little of the photo or the input buffer in the caches. Only the
		// letterbox is timed (ns/op is its wall time).
		var wall, cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			if _, err := m.runTensor(ctx, buf.data); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			c0, t0 := cpuTime(), time.Now()
			bb, _ := m.preprocess(img)
			wall += time.Since(t0)
			cpu += cpuTime() - c0
			m.put(bb)
		}
		b.ReportMetric(float64(wall)/float64(time.Millisecond)/float64(b.N), "wall-ms/op")
		b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	})
	b.Run("Run", func(b *testing.B) {
		loopCPU(b, func() {
			if _, err := m.runTensor(ctx, buf.data); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("Post", func(b *testing.B) {
		n := 0
		loopCPU(b, func() { n, _ = m.decodeOut(outs, l, img.Bounds()) })
		b.ReportMetric(float64(n), "dets")
	})
	m.put(buf)
}

func BenchmarkYOLOLiteFace(b *testing.B) {
	d := sharedYOLOFace(b, "yolov8-lite-t-face.onnx")
	for _, p := range []string{"photos/eileen-collins.png", "photos/crowd-selfie.jpg"} {
		b.Run(p[7:], func(b *testing.B) {
			benchStages(b, d.m, p)
			b.Run("Detect", func(b *testing.B) {
				img := realPhoto(b, p)
				d.DetectFaces(context.Background(), img) // warm: see Pre
				loopCPU(b, func() { d.DetectFaces(context.Background(), img) })
			})
		})
	}
}

func BenchmarkYuNet(b *testing.B) {
	d := sharedYuNet(b)
	for _, p := range []string{"photos/eileen-collins.png", "photos/crowd-selfie.jpg"} {
		b.Run(p[7:], func(b *testing.B) {
			benchStages(b, d, p)
			b.Run("Detect", func(b *testing.B) {
				img := realPhoto(b, p)
				d.DetectFaces(context.Background(), img) // warm: see Pre
				loopCPU(b, func() { d.DetectFaces(context.Background(), img) })
			})
		})
	}
}

func BenchmarkYOLOPerson(b *testing.B) {
	d := sharedYOLOPerson(b)
	p := "photos/two-people-night.jpg"
	b.Run(p[7:], func(b *testing.B) {
		benchStages(b, d.m, p)
		b.Run("Detect", func(b *testing.B) {
			img := realPhoto(b, p)
			d.DetectPeople(context.Background(), img) // warm: see Pre
			loopCPU(b, func() { d.DetectPeople(context.Background(), img) })
		})
	})
}

// first returns its first argument.
func first[T, U any](t T, _ U) T { return t }

package cv_test

// BenchmarkPeer times phantom's pure-Go and libjpeg-turbo steps against
// what a researcher's Python/OpenCV script calls for the same step (cv2 is
// a thin layer over these OpenCV functions, reached here through gocv), on
// the same inputs. Each iteration runs every contender once, in turn, in an
// order that rotates, so that the machine's load falls on all of them
// alike; each reports its wall time per op and the ratio to the peer. On a
// machine shared with other work, take the ratios, not the times.

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/phantom-vlm/phantom/anonymize"
	"github.com/phantom-vlm/phantom/background"
	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/internal/cv"
	"github.com/phantom-vlm/phantom/internal/imageio"
	"github.com/phantom-vlm/phantom/pipeline"
)

// contender is one way of doing a benchmark's step.
type contender struct {
	name string
	run  func(b *testing.B)
}

// interleave runs each contender once per iteration, rotating the order,
// and reports each one's ms/op and cpu-ms/op (the process's CPU time, which
// counts OpenCV's worker threads too), and, for each but the peer (the
// last), its time over the peer's as <name>/peer.
func interleave(b *testing.B, cs ...contender) {
	wall := make([]time.Duration, len(cs))
	cpu := make([]float64, len(cs))
	n := 0
	for b.Loop() {
		for k := range cs {
			i := (k + n) % len(cs)
			c0, t0 := cpuSeconds(), time.Now()
			cs[i].run(b)
			wall[i] += time.Since(t0)
			cpu[i] += cpuSeconds() - c0
		}
		n++
	}
	peer := len(cs) - 1
	for i, c := range cs {
		b.ReportMetric(float64(wall[i].Microseconds())/1000/float64(n), c.name+"-ms/op")
		b.ReportMetric(cpu[i]*1000/float64(n), c.name+"-cpu-ms/op")
		if i != peer {
			b.ReportMetric(float64(wall[i])/float64(wall[peer]), c.name+"/peer")
		}
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// peerPhoto is a real photo of $PHANTOM_DATA scaled to 1000×1000 (1 MP),
// with a scene (one face, one person's mask) and a landscape, or a skip.
func peerPhoto(b *testing.B) (*image.RGBA, *detect.Scene, background.Background) {
	root := os.Getenv("PHANTOM_DATA")
	if root == "" {
		b.Skip("PHANTOM_DATA not set")
	}
	src, err := imageio.Load(filepath.Join(root, "photos", "portrait-outdoor.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	photo := background.CoverFit(src, 1000, 1000)
	land, err := imageio.Load(filepath.Join(root, "backgrounds", "evening-glow.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	mask := image.NewAlpha(photo.Rect)
	for y := 120; y < 1000; y++ {
		for x := 250; x < 750; x++ {
			dx, dy := float64(x-500)/250, float64(y-560)/440
			if dx*dx+dy*dy < 1 {
				mask.Pix[mask.PixOffset(x, y)] = 255
			}
		}
	}
	scene := &detect.Scene{
		Width: 1000, Height: 1000,
		Faces:  []detect.Face{{Box: detect.Box{X1: 390, Y1: 180, X2: 610, Y2: 460, Score: 0.9}}},
		People: []detect.Person{{Box: detect.Box{X1: 250, Y1: 120, X2: 750, Y2: 1000, Score: 0.9}}},
		Masks:  []detect.Mask{{Alpha: mask}},
	}
	return photo, scene, background.NewSet(background.Background{Name: "evening-glow.jpg", Image: land}).Pick(0, "x")
}

// cvThreads runs bench twice, as the sub-benchmarks cv-threads=default
// (OpenCV's own thread pool, one thread a core) and cv-threads=1 (what each
// process of a Python script that runs one OpenCV thread per process gets:
// the fair peer for phantom's single-threaded steps).
func cvThreads(b *testing.B, bench func(b *testing.B)) {
	b.Run("cv-threads=default", bench)
	b.Run("cv-threads=1", func(b *testing.B) {
		defer cv.SetNumThreads(cv.SetNumThreads(1))
		bench(b)
	})
}

// bgrMat is img as the 3-channel BGR Mat that cv2.imread gives a script.
func bgrMat(b *testing.B, img *image.RGBA) gocv.Mat {
	m, err := cv.MatFromImage(img, img.Rect)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	out := gocv.NewMat()
	gocv.CvtColor(m, &out, gocv.ColorRGBAToBGR)
	return out
}

// BenchmarkPeerJPEG encodes the six condition variants of a 1 MP photo at
// quality 95, and decodes the photo, with image/jpeg, with phantom's
// imageio (libjpeg-turbo through internal/turbojpeg), with OpenCV's
// imencode/imdecode taking and giving RGBA as phantom's images are (the
// copy and colour conversion into a Mat included), and, as the peer, with
// imencode/imdecode on the BGR Mat that a cv2 script holds (cv2.imwrite's
// and cv2.imread's own work).
func BenchmarkPeerJPEG(b *testing.B) {
	photo, scene, land := peerPhoto(b)
	var vs []*image.RGBA
	if err := pipeline.Render(photo, scene, pipeline.AllConditions, pipeline.RenderOptions{Grid: 10, Landscape: land}, func(v pipeline.Variant) error {
		vs = append(vs, v.Image)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	mats := make([]gocv.Mat, len(vs))
	for i, v := range vs {
		mats[i] = bgrMat(b, v)
		defer mats[i].Close()
	}
	params := []int{gocv.IMWriteJpegQuality, 95}
	imencode := func(b *testing.B, m gocv.Mat) {
		buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, params)
		if err != nil {
			b.Fatal(err)
		}
		buf.Close()
	}
	b.Run("encode-six", func(b *testing.B) {
		interleave(b,
			contender{"image-jpeg", func(b *testing.B) {
				for _, v := range vs {
					if err := jpeg.Encode(&bytes.Buffer{}, v, &jpeg.Options{Quality: 95}); err != nil {
						b.Fatal(err)
					}
				}
			}},
			contender{"phantom", func(b *testing.B) {
				for _, v := range vs {
					if _, err := imageio.Encode(v, imageio.JPEG); err != nil {
						b.Fatal(err)
					}
				}
			}},
			contender{"opencv-from-rgba", func(b *testing.B) {
				for _, v := range vs {
					m := bgrMat(b, v)
					imencode(b, m)
					m.Close()
				}
			}},
			contender{"cv2", func(b *testing.B) {
				for _, m := range mats {
					imencode(b, m)
				}
			}},
		)
	})
	data, err := imageio.Encode(photo, imageio.JPEG)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		interleave(b,
			contender{"image-jpeg", func(b *testing.B) {
				m, err := jpeg.Decode(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				imageio.ToRGBA(m)
			}},
			contender{"phantom", func(b *testing.B) {
				if _, _, err := imageio.Decode(data); err != nil {
					b.Fatal(err)
				}
			}},
			contender{"opencv-to-rgba", func(b *testing.B) {
				m, err := gocv.IMDecode(data, gocv.IMReadColor)
				if err != nil {
					b.Fatal(err)
				}
				img, err := m.ToImage()
				m.Close()
				if err != nil {
					b.Fatal(err)
				}
				imageio.ToRGBA(img)
			}},
			contender{"cv2", func(b *testing.B) {
				m, err := gocv.IMDecode(data, gocv.IMReadColor)
				if err != nil {
					b.Fatal(err)
				}
				m.Close()
			}},
		)
	})
}

// BenchmarkPeerPixelate pixelates one face box on a 10×10 grid: phantom's
// anonymize.Pixelate on the RGBA photo against the cv2 mosaic on the BGR
// Mat (cv2.resize of the box to 10×10 with INTER_AREA, back up with
// INTER_NEAREST, written into the box), for the study's face of a 1 MP
// photo and for a whole 1 MP region.
func BenchmarkPeerPixelate(b *testing.B) {
	photo, scene, _ := peerPhoto(b)
	mat := bgrMat(b, photo)
	defer mat.Close()
	for _, r := range []image.Rectangle{scene.Faces[0].Rect(), photo.Rect} {
		b.Run(fmt.Sprintf("%dx%d", r.Dx(), r.Dy()), func(b *testing.B) {
			small, big := gocv.NewMat(), gocv.NewMat()
			defer small.Close()
			defer big.Close()
			cvThreads(b, func(b *testing.B) {
				interleave(b,
					contender{"phantom", func(*testing.B) { anonymize.Pixelate(photo, r, 10) }},
					contender{"cv2", func(*testing.B) {
						roi := mat.Region(r)
						gocv.Resize(roi, &small, image.Point{10, 10}, 0, 0, gocv.InterpolationArea)
						gocv.Resize(small, &big, r.Size(), 0, 0, gocv.InterpolationNearestNeighbor)
						big.CopyTo(&roi)
						roi.Close()
					}},
				)
			})
		})
	}
}

// BenchmarkPeerCoverFit fits the 2560×1600 landscape to cover a photo and
// crops it: phantom's Background (its halvings made once, at load, as the
// builder's Set does) against cv2.resize of the landscape on its BGR Mat to
// the covering size, INTER_LINEAR (the default) and INTER_AREA (what a
// careful script uses to shrink), then the centre crop; cv2 with its
// default threads and with one (see cvThreads).
func BenchmarkPeerCoverFit(b *testing.B) {
	_, _, land := peerPhoto(b)
	mat := bgrMat(b, imageio.ToRGBA(land.Image))
	defer mat.Close()
	lb := land.Image.Bounds()
	for _, sz := range []image.Point{{1000, 1000}, {180, 225}} {
		photo := image.NewRGBA(image.Rect(0, 0, sz.X, sz.Y))
		scale := max(float64(sz.X)/float64(lb.Dx()), float64(sz.Y)/float64(lb.Dy()))
		cover := image.Point{max(sz.X, int(float64(lb.Dx())*scale+0.5)), max(sz.Y, int(float64(lb.Dy())*scale+0.5))}
		crop := image.Rectangle{Max: sz}.Add(cover.Sub(sz).Div(2))
		cv2 := func(interp gocv.InterpolationFlags) func(*testing.B) {
			return func(*testing.B) {
				out := gocv.NewMat()
				gocv.Resize(mat, &out, cover, 0, 0, interp)
				c := out.Region(crop)
				fit := c.Clone()
				fit.Close()
				c.Close()
				out.Close()
			}
		}
		b.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(b *testing.B) {
			cvThreads(b, func(b *testing.B) {
				interleave(b,
					contender{"phantom", func(*testing.B) { land.Composite(photo, nil) }},
					contender{"cv2-area", cv2(gocv.InterpolationArea)},
					contender{"cv2-linear", cv2(gocv.InterpolationLinear)},
				)
			})
		})
	}
}

// Package tess is phantom's narrow seam to the Tesseract OCR engine (through
// github.com/otiai10/gosseract/v2, the only package in phantom that imports
// it). It reads words with their boxes, confidences and layout numbers from a
// grey image, and hides every cgo detail.
//
// Starting a Client (New) makes gosseract point the process's standard error
// at /dev/null while Tesseract initialises, so output other goroutines print
// meanwhile is lost: start clients up front, not in the middle of a batch.
// New serialises start-ups, which must not overlap.
//
// The package silences Leptonica's messages on stderr (its severity is set to
// none when the package loads): on photos they are noise, not failures.
//
// A Client is not safe for concurrent use: Tesseract's API object holds the
// current image and the recognition state. Use one Client per goroutine (the
// ocrfilter package keeps a pool).
//
// Tesseract is built with OpenMP on Debian, and its recogniser asks for up to
// ten threads per parallel region; on a small machine, and worse with several
// clients at once, those threads fight for the cores. One thread per
// recognition was measured about 7 times faster here (52 ms against 350 ms
// for a 640×480 image, 2 cores). The usual cure, OMP_THREAD_LIMIT=1, only
// works from the process's environment at start-up: libgomp reads it when the
// library loads, before any Go code runs. So Read turns OpenMP parallelism off
// on the OS thread that runs each recognition (omp_set_max_active_levels(0),
// with the goroutine locked to that thread), which has the same effect, and
// the package sets OMP_THREAD_LIMIT=1 in the environment, when it is unset,
// for child processes.
package tess

/*
#cgo LDFLAGS: -lgomp -lleptonica
#include <omp.h>
#include <leptonica/allheaders.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/otiai10/gosseract/v2"
)

func init() {
	if _, ok := os.LookupEnv("OMP_THREAD_LIMIT"); !ok {
		os.Setenv("OMP_THREAD_LIMIT", "1")
	}
	// Leptonica prints messages such as "Error in pixScanForForeground:
	// invalid box" on stderr while binarising busy photos; they are not
	// errors of the read, and would flood a batch's output.
	C.setMsgSeverity(C.L_SEVERITY_NONE)
}

// ErrInit is returned (wrapped) when Tesseract cannot start, most often
// because the trained data for a language is missing.
var ErrInit = errors.New("tess: cannot initialise Tesseract")

// Page segmentation modes, as Tesseract numbers them (tesseract --help-psm).
const (
	PSMAuto        = 3  // fully automatic page segmentation, no OSD
	PSMSingleBlock = 6  // one uniform block of text
	PSMSparseText  = 11 // as much text as possible, in no particular order
	PSMSparseOSD   = 12 // sparse text with orientation and script detection
)

// Config configures a Client.
type Config struct {
	// Lang is Tesseract's language string ("eng", "eng+fra"); "" means "eng".
	Lang string
	// PSM is the page segmentation mode (see the PSM constants); 0 means PSMSparseText.
	PSM int
	// DPI, when > 0, is the resolution Tesseract assumes for the image
	// (user_defined_dpi); 0 keeps Tesseract's default of 70 for images
	// without a resolution.
	DPI int
	// DataPath is the tessdata directory; "" uses Tesseract's default.
	DataPath string
	// Vars are Tesseract parameters to set, by name (for example
	// "thresholding_method": "2" for Sauvola binarisation).
	Vars map[string]string
}

// Word is one word Tesseract read, in the pixel coordinates of the image it
// was given. Block, Par, Line and Num number the word's block, paragraph,
// line (all from 1, in reading order) and its place in the line.
type Word struct {
	Text                  string
	Box                   image.Rectangle
	Conf                  float64 // 0 to 100
	Block, Par, Line, Num int
}

// Client is one Tesseract engine. It is not safe for concurrent use.
type Client struct {
	c *gosseract.Client
}

// initMu serialises engine start-up: gosseract redirects the process's stderr
// while Tesseract initialises, which is not safe to do from two threads.
var initMu sync.Mutex

// New starts a Tesseract engine with cfg. It reads a tiny blank image once so
// that a bad language or data path fails here, with ErrInit, and not on the
// first real image.
func New(cfg Config) (*Client, error) {
	if cfg.Lang == "" {
		cfg.Lang = "eng"
	}
	if cfg.PSM == 0 {
		cfg.PSM = PSMSparseText
	}
	c := gosseract.NewClient()
	cl := &Client{c: c}
	if err := c.SetLanguage(cfg.Lang); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: %v", ErrInit, err)
	}
	if cfg.DataPath != "" {
		if err := c.SetTessdataPrefix(cfg.DataPath); err != nil {
			c.Close()
			return nil, fmt.Errorf("%w: %v", ErrInit, err)
		}
	}
	if err := c.SetPageSegMode(gosseract.PageSegMode(cfg.PSM)); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: %v", ErrInit, err)
	}
	// Tesseract's warnings ("Empty page!!", "Estimating resolution") would
	// otherwise go to stderr for every image.
	c.SetVariable("debug_file", os.DevNull)
	for k, v := range cfg.Vars {
		c.SetVariable(gosseract.SettableVariable(k), v)
	}
	if cfg.DPI > 0 {
		c.SetVariable("user_defined_dpi", strconv.Itoa(cfg.DPI))
	}
	initMu.Lock()
	defer initMu.Unlock()
	blank := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	if err := c.SetImageFromBytes(EncodePGM(blank)); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: %v", ErrInit, err)
	}
	if _, err := c.Text(); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w (language %q): %v", ErrInit, cfg.Lang, err)
	}
	// Tesseract's Init resets the page segmentation mode to its default
	// (single block), so set it again now that the engine is initialised.
	if err := c.SetPageSegMode(gosseract.PageSegMode(cfg.PSM)); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: %v", ErrInit, err)
	}
	return cl, nil
}

// Read recognises the words in img. Empty words are left out.
func (cl *Client) Read(img *image.Gray) ([]Word, error) {
	if cl.c == nil {
		return nil, errors.New("tess: client is closed")
	}
	b := img.Bounds()
	if b.Dx() < 1 || b.Dy() < 1 {
		return nil, nil
	}
	// Tesseract's Sauvola binarisation crashes on images a few pixels wide;
	// pad small images on the right and bottom (boxes keep their place).
	if b.Dx() < minSide || b.Dy() < minSide {
		img = padGray(img, minSide)
	}
	if err := cl.c.SetImageFromBytes(EncodePGM(img)); err != nil {
		return nil, fmt.Errorf("tess: set image: %w", err)
	}
	// OpenMP's settings belong to the calling OS thread: keep the goroutine
	// on it until Tesseract returns.
	runtime.LockOSThread()
	C.omp_set_max_active_levels(0)
	boxes, err := cl.c.GetBoundingBoxesVerbose()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, fmt.Errorf("tess: recognise: %w", err)
	}
	words := make([]Word, 0, len(boxes))
	for _, bb := range boxes {
		if strings.TrimSpace(bb.Word) == "" {
			continue
		}
		words = append(words, Word{
			Text:  bb.Word,
			Box:   bb.Box.Add(b.Min),
			Conf:  bb.Confidence,
			Block: bb.BlockNum, Par: bb.ParNum, Line: bb.LineNum, Num: bb.WordNum,
		})
	}
	return words, nil
}

// Close frees the engine. It is safe to call more than once.
func (cl *Client) Close() error {
	if cl.c == nil {
		return nil
	}
	err := cl.c.Close()
	cl.c = nil
	return err
}

// Version returns the Tesseract library's version.
func Version() string { return gosseract.Version() }

// EncodePGM encodes img as a binary PGM (P5), a format Tesseract's image
// library reads without decompression.
func EncodePGM(img *image.Gray) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	hdr := fmt.Sprintf("P5\n%d %d\n255\n", w, h)
	out := make([]byte, len(hdr)+w*h)
	n := copy(out, hdr)
	for y := 0; y < h; y++ {
		row := img.Pix[(y)*img.Stride : y*img.Stride+w]
		n += copy(out[n:], row)
	}
	return out
}

// SetPageSegMode sets the page segmentation mode for the following reads.
func (cl *Client) SetPageSegMode(psm int) error {
	if cl.c == nil {
		return errors.New("tess: client is closed")
	}
	return cl.c.SetPageSegMode(gosseract.PageSegMode(psm))
}

// SetVariable sets a Tesseract parameter for the following reads (for
// example "thresholding_method" to "0" for Otsu or "2" for Sauvola).
func (cl *Client) SetVariable(name, value string) error {
	if cl.c == nil {
		return errors.New("tess: client is closed")
	}
	if err := cl.c.SetVariable(gosseract.SettableVariable(name), value); err != nil {
		return fmt.Errorf("tess: set %s=%s: %w", name, value, err)
	}
	return nil
}

// minSide is the smallest width and height given to Tesseract.
const minSide = 64

// padGray copies img onto a canvas at least side×side, filled with the
// image's mean grey, at the canvas's top-left corner.
func padGray(img *image.Gray, side int) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, max(side, b.Dx()), max(side, b.Dy())))
	var sum int
	for y := 0; y < b.Dy(); y++ {
		for _, v := range img.Pix[y*img.Stride : y*img.Stride+b.Dx()] {
			sum += int(v)
		}
	}
	fill := uint8(sum / max(1, b.Dx()*b.Dy()))
	for i := range out.Pix {
		out.Pix[i] = fill
	}
	for y := 0; y < b.Dy(); y++ {
		copy(out.Pix[y*out.Stride:], img.Pix[y*img.Stride:y*img.Stride+b.Dx()])
	}
	return out
}

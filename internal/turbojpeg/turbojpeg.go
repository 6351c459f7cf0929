// Package turbojpeg is phantom's narrow seam over libjpeg-turbo's TurboJPEG
// API (Debian's libturbojpeg0-dev): JPEG encoding from and decoding into
// RGBA rows, with no colour conversion on the Go side.
//
// Go memory crosses the seam only for the length of a call (the pixels to
// encode, the buffer to decode into, the compressed bytes); C never keeps
// it. The compressed output is allocated by libjpeg-turbo and copied into a
// Go slice. Every function is safe for concurrent use: each call has its
// own TurboJPEG handle.
package turbojpeg

/*
#cgo pkg-config: libturbojpeg
#include <stdlib.h>
#include <stdio.h>
#include <jconfig.h>
#include <turbojpeg.h>

static int phantom_tj_version(void) { return LIBJPEG_TURBO_VERSION_NUMBER; }

// phantom_tj_encode compresses w×h rows of pixel format pf (TJPF_RGBX, the
// fourth byte ignored, or TJPF_CMYK) at quality q with chroma subsampling
// samp and the accurate DCT. On success *out holds the JPEG (free it with
// tjFree) and the result is 0; otherwise the error message is copied into
// msg.
static int phantom_tj_encode(const unsigned char *pix, int w, int stride, int h, int pf, int samp,
		int q, unsigned char **out, unsigned long *size, char *msg, int msglen) {
	tjhandle t = tjInitCompress();
	if (t == NULL) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(NULL));
		return -1;
	}
	*out = NULL;
	*size = 0;
	int rc = tjCompress2(t, pix, w, stride, h, pf, out, size, samp, q, TJFLAG_ACCURATEDCT);
	if (rc != 0) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(t));
		if (*out != NULL) {
			tjFree(*out);
			*out = NULL;
		}
	}
	tjDestroy(t);
	return rc;
}

// phantom_tj_header reads the size and colour space of a JPEG.
static int phantom_tj_header(const unsigned char *buf, unsigned long size, int *w, int *h,
		int *cs, char *msg, int msglen) {
	tjhandle t = tjInitDecompress();
	if (t == NULL) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(NULL));
		return -1;
	}
	int subsamp = 0;
	int rc = tjDecompressHeader3(t, buf, size, w, h, &subsamp, cs);
	if (rc != 0) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(t));
	}
	tjDestroy(t);
	return rc;
}

// phantom_tj_decode decompresses a JPEG into w×h RGBA rows (alpha 255) with
// the accurate IDCT. A warning (damaged data the codec worked around) stops
// the decode and gives 1; a fatal error gives -1.
static int phantom_tj_decode(const unsigned char *buf, unsigned long size, unsigned char *pix,
		int w, int stride, int h, char *msg, int msglen) {
	tjhandle t = tjInitDecompress();
	if (t == NULL) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(NULL));
		return -1;
	}
	int rc = tjDecompress2(t, buf, size, pix, w, stride, h, TJPF_RGBA, TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING);
	if (rc != 0) {
		snprintf(msg, msglen, "%s", tjGetErrorStr2(t));
		rc = tjGetErrorCode(t) == TJERR_WARNING ? 1 : -1;
	}
	tjDestroy(t);
	return rc;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"
)

// Sentinel errors.
var (
	// ErrCorrupt: the data is not a JPEG the codec can read.
	ErrCorrupt = errors.New("turbojpeg: corrupt JPEG")
	// ErrWarning: the codec found damaged data that it could have worked
	// around (a truncated file, bytes out of place); the decode was stopped.
	ErrWarning = errors.New("turbojpeg: damaged JPEG")
	// ErrColorSpace: the JPEG is CMYK or YCCK, which TurboJPEG does not
	// convert to RGB.
	ErrColorSpace = errors.New("turbojpeg: CMYK JPEG")
)

const msgLen = 200

// Version is the libjpeg-turbo version phantom was built against, as
// "libjpeg-turbo 2.1.5".
func Version() string {
	v := int(C.phantom_tj_version())
	return fmt.Sprintf("libjpeg-turbo %d.%d.%d", v/1000000, v/1000%1000, v%1000)
}

// Encode compresses img as a baseline JPEG at quality q (1–100) with 4:2:0
// chroma subsampling, as image/jpeg and OpenCV's imwrite do. The alpha byte
// is ignored: flatten a transparent image first.
func Encode(img *image.RGBA, q int) ([]byte, error) {
	return compress(img.Pix, img.Rect, img.Stride, img.PixOffset, C.TJPF_RGBX, C.TJSAMP_420, q)
}

// EncodeCMYK compresses img as an Adobe CMYK JPEG (TurboJPEG stores it as
// YCCK, 4:4:4) at quality q (1–100). Phantom never writes one: tests use it
// to make the files that Decode refuses with ErrColorSpace. libjpeg-turbo
// stores the bytes as given; image/jpeg reads an Adobe file's CMYK
// inverted.
func EncodeCMYK(img *image.CMYK, q int) ([]byte, error) {
	return compress(img.Pix, img.Rect, img.Stride, img.PixOffset, C.TJPF_CMYK, C.TJSAMP_444, q)
}

// compress encodes the 4-byte pixels of r in pix with pixel format pf and
// chroma subsampling samp.
func compress(pix []byte, r image.Rectangle, stride int, offset func(x, y int) int, pf, samp C.int, q int) ([]byte, error) {
	if r.Empty() {
		return nil, errors.New("turbojpeg: empty image")
	}
	if q < 1 || q > 100 {
		return nil, fmt.Errorf("turbojpeg: quality %d out of 1–100", q)
	}
	pix = pix[offset(r.Min.X, r.Min.Y):]
	var (
		out  *C.uchar
		size C.ulong
		msg  [msgLen]C.char
	)
	rc := C.phantom_tj_encode((*C.uchar)(unsafe.Pointer(&pix[0])), C.int(r.Dx()), C.int(stride), C.int(r.Dy()), pf, samp, C.int(q), &out, &size, &msg[0], msgLen)
	if rc != 0 {
		return nil, fmt.Errorf("turbojpeg: encode: %s", C.GoString(&msg[0]))
	}
	defer C.tjFree(out)
	return C.GoBytes(unsafe.Pointer(out), C.int(size)), nil
}

// Header returns the size of a JPEG from its header. A CMYK or YCCK JPEG
// gives its size and ErrColorSpace.
func Header(data []byte) (w, h int, err error) {
	if len(data) == 0 {
		return 0, 0, fmt.Errorf("%w: no data", ErrCorrupt)
	}
	var (
		cw, ch, cs C.int
		msg        [msgLen]C.char
	)
	if C.phantom_tj_header((*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), &cw, &ch, &cs, &msg[0], msgLen) != 0 {
		return 0, 0, fmt.Errorf("%w: %s", ErrCorrupt, C.GoString(&msg[0]))
	}
	if cs == C.TJCS_CMYK || cs == C.TJCS_YCCK {
		return int(cw), int(ch), ErrColorSpace
	}
	return int(cw), int(ch), nil
}

// Decode decompresses a JPEG into a new *image.RGBA at (0, 0), opaque.
// Check its size with Header first: Decode allocates what the header
// declares.
func Decode(data []byte) (*image.RGBA, error) {
	w, h, err := Header(data)
	if err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	var msg [msgLen]C.char
	switch C.phantom_tj_decode((*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&img.Pix[0])), C.int(w), C.int(img.Stride), C.int(h), &msg[0], msgLen) {
	case 0:
		return img, nil
	case 1:
		return nil, fmt.Errorf("%w: %s", ErrWarning, C.GoString(&msg[0]))
	default:
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, C.GoString(&msg[0]))
	}
}

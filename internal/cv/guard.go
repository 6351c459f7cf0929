package cv

/*
#cgo !windows pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
#include <stdlib.h>
#include "guard.h"
*/
import "C"

import (
	"errors"

	"gocv.io/x/gocv"
	"strings"
	"unsafe"
)

// checkCascade loads path once under a C++ try/catch, so that a malformed
// file becomes an error instead of an uncaught exception that aborts the
// process inside gocv.
func checkCascade(path string) error {
	cPath := C.CString(path)
	defer C.free(unsafe.Pointer(cPath))
	var buf [512]C.char
	if C.phantom_cascade_check(cPath, &buf[0], C.int(len(buf))) != 0 {
		return nil
	}
	msg := strings.TrimSpace(C.GoString(&buf[0]))
	if i := strings.LastIndex(msg, ") "); i >= 0 && strings.HasPrefix(msg, "OpenCV(") {
		msg = strings.TrimSpace(msg[i+2:])
	}
	return errors.New(msg)
}

// peopleDetector returns OpenCV's default HOG people detector as a 1×N
// CV_32F Mat, copied out of OpenCV under our control: gocv's own
// HOGDefaultPeopleDetector wraps a temporary vector that is freed before
// use, which leaves the SVM with garbage weights.
func peopleDetector() (gocv.Mat, error) {
	n := int(C.phantom_hog_people_detector(nil, 0))
	if n <= 0 {
		return gocv.Mat{}, errors.New("cv: empty HOG people detector")
	}
	m := gocv.NewMatWithSize(1, n, gocv.MatTypeCV32F)
	dst, err := m.DataPtrFloat32()
	if err != nil {
		m.Close()
		return gocv.Mat{}, err
	}
	buf := make([]float32, n)
	C.phantom_hog_people_detector((*C.float)(unsafe.Pointer(&buf[0])), C.int(n))
	copy(dst, buf)
	return m, nil
}

// seedRNG resets the OpenCV random generator of the calling thread, which
// is thread-local: the caller must hold its OS thread
// (runtime.LockOSThread) until the call that draws from it returns.
func seedRNG(seed uint64) { C.phantom_seed_rng(C.ulonglong(seed)) }

// SetNumThreads sets how many threads OpenCV's parallel loops (cv::resize
// among them) use, process-wide, and returns the number before; 1 runs them
// on the calling thread, as a Python script that runs one OpenCV thread per
// process does. The benchmarks use it to time cv2's steps both ways.
func SetNumThreads(n int) int { return int(C.phantom_set_num_threads(C.int(n))) }

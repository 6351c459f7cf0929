// Exception-safe checks run before handing a file to gocv, whose C++ side
// lets OpenCV exceptions abort the process.
#ifndef PHANTOM_CV_GUARD_H
#define PHANTOM_CV_GUARD_H

#ifdef __cplusplus
extern "C" {
#endif

// phantom_cascade_check loads path into a scratch classifier. It returns 1
// when the file is a usable cascade, and 0 otherwise with a message copied
// into msg (at most n bytes, NUL-terminated).
int phantom_cascade_check(const char* path, char* msg, int n);

// phantom_hog_people_detector copies OpenCV's default people detector (the
// linear SVM weights and bias for 64x128 windows) into out, which holds n
// floats, and returns its length; it copies nothing when n is too small.
int phantom_hog_people_detector(float* out, int n);

// phantom_seed_rng resets the calling thread's OpenCV random generator
// (cv::theRNG(), which GrabCut's k-means draws from) to cv::RNG(seed).
void phantom_seed_rng(unsigned long long seed);

// phantom_set_num_threads sets the number of threads OpenCV's parallel
// loops use (cv::setNumThreads) and returns the number before.
int phantom_set_num_threads(int n);

#ifdef __cplusplus
}
#endif

#endif

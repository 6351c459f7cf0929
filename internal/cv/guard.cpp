#include "guard.h"

#include <cstring>
#include <exception>
#include <opencv2/core.hpp>
#include <opencv2/objdetect.hpp>
#include <vector>

static void phantom_copy_msg(char* msg, int n, const char* s) {
    if (n <= 0) return;
    std::strncpy(msg, s, n - 1);
    msg[n - 1] = '\0';
}

int phantom_cascade_check(const char* path, char* msg, int n) {
    try {
        cv::CascadeClassifier c;
        if (!c.load(path) || c.empty()) {
            phantom_copy_msg(msg, n, "not a cascade classifier file");
            return 0;
        }
        return 1;
    } catch (const std::exception& e) {
        phantom_copy_msg(msg, n, e.what());
    } catch (...) {
        phantom_copy_msg(msg, n, "unknown OpenCV error");
    }
    return 0;
}

int phantom_hog_people_detector(float* out, int n) {
    std::vector<float> d = cv::HOGDescriptor::getDefaultPeopleDetector();
    if ((int)d.size() <= n) {
        std::memcpy(out, d.data(), d.size() * sizeof(float));
    }
    return (int)d.size();
}

void phantom_seed_rng(unsigned long long seed) { cv::theRNG() = cv::RNG((uint64)seed); }

int phantom_set_num_threads(int n) {
    int before = cv::getNumThreads();
    cv::setNumThreads(n);
    return before;
}

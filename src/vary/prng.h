// dlsolve's own random numbers, so a seed gives the same variants on every platform and
// standard library (std::uniform_int_distribution's output is not specified).
// SplitMix64: Steele, Lea and Flood, "Fast splittable pseudorandom number generators"
// (OOPSLA 2014), in Vigna's reference form (prng.di.unimi.it/splitmix64.c).
#pragma once

#include <cstdint>

namespace dlsolve {

class SplitMix64 {
public:
    explicit SplitMix64(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n) by rejection (no modulo bias); n ≥ 1.
    uint64_t below(uint64_t n) {
        const uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // a multiple of n
        uint64_t r = next();
        while (r >= limit) r = next();
        return r % n;
    }

private:
    uint64_t state_;
};

}  // namespace dlsolve

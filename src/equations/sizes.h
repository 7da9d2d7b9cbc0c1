// Sizes in symbols as the exams write them (27C², D_a1 × D), and answer keys in symbols
// compared after simplification.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <ginac/ginac.h>

#include "problem/fields.h"

namespace dlsolve::equations {

// A size or polynomial as the exams write it: 27·C², D_a1·D + 2·D_a1 + 1.
std::string size_text(const GiNaC::ex& size);
// A product of sums kept as one: 16·(H − 2)·(W − 2), not expanded (else as size_text).
std::string product_text(const GiNaC::ex& size);
// "D_a1 × D"
std::string shape_text(const std::vector<GiNaC::ex>& shape);

// GiNaC and CLN are not thread-safe (their expressions share reference-counted constants
// and caches with no locks): whoever may reach them from several threads holds this lock,
// as same_symbolic does (recursive, so a caller may already hold it).
std::recursive_mutex& symbolic_lock();

// Whether an answer key written in symbols ("27*C^2", "D_a1 × D") equals a computed
// one after simplification. Shapes compare dimension by dimension.
// `sizes` gives the size symbols that have values. Holds symbolic_lock().
bool same_symbolic(const Json& expected, const Json& computed, const std::map<std::string, int64_t>& sizes = {});

}  // namespace dlsolve::equations

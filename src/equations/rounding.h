// ⌊x⌋ and ⌈x⌉ over sizes in symbols, as GiNaC functions named floor and ceil (so an answer
// key "floor((H-3)/2)+1" reads back): a convolution's output ⌊(H − k + 2p)/s⌋ + 1 stays
// in symbols until its sizes have values, and simplifies where the division is exact.
// Every symbol stands for a positive integer size, so a term whose coefficient the
// divisor divides leaves the bracket: ⌊(2C + H − 2)/2⌋ = C − 1 + ⌊H/2⌋.
#pragma once

#include <string>

#include <ginac/ginac.h>

namespace dlsolve::equations {

GiNaC::ex floor_of(const GiNaC::ex& x);
GiNaC::ex ceil_of(const GiNaC::ex& x);
// Whether e is ⌊…⌋ or ⌈…⌉, or holds one.
bool is_rounding(const GiNaC::ex& e);
bool has_rounding(const GiNaC::ex& e);
// ⌊(H − 3)/2⌋, its numerator in size_text's order.
std::string rounding_text(const GiNaC::ex& e);

}  // namespace dlsolve::equations

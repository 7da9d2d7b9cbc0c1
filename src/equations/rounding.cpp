#include "equations/rounding.h"

#include "equations/sizes.h"

namespace dlsolve::equations {

using GiNaC::ex;

namespace {

DECLARE_FUNCTION_1P(size_floor)
DECLARE_FUNCTION_1P(size_ceil)

// The integer factor of one term of an expanded sum (3 in 3·C·H, −2 in −2).
GiNaC::numeric coefficient_of(const ex& term) {
    if (GiNaC::is_a<GiNaC::numeric>(term)) return GiNaC::ex_to<GiNaC::numeric>(term);
    GiNaC::numeric c = 1;
    if (GiNaC::is_a<GiNaC::mul>(term))
        for (const auto& f : term)
            if (GiNaC::is_a<GiNaC::numeric>(f)) c *= GiNaC::ex_to<GiNaC::numeric>(f);
    return c;
}

ex rounded(const ex& x, bool up) {
    const ex held = up ? size_ceil(x).hold() : size_floor(x).hold();
    const ex n = x.normal();
    if (GiNaC::is_a<GiNaC::numeric>(n)) {
        const GiNaC::numeric q = GiNaC::ex_to<GiNaC::numeric>(n);
        if (!q.is_rational()) return held;
        const GiNaC::numeric top = q.numer(), bottom = q.denom();  // bottom > 0
        const GiNaC::numeric r = GiNaC::mod(top, bottom);           // 0 ≤ r < bottom
        const GiNaC::numeric down = (top - r) / bottom;
        return up && !r.is_zero() ? down + 1 : down;
    }
    const ex parts = n.numer_denom();
    if (!GiNaC::is_a<GiNaC::numeric>(parts.op(1)) || !GiNaC::ex_to<GiNaC::numeric>(parts.op(1)).is_pos_integer()) return held;
    const GiNaC::numeric d = GiNaC::ex_to<GiNaC::numeric>(parts.op(1));
    const ex top = parts.op(0).expand();
    ex whole = 0, rest = 0;
    const auto split = [&](const ex& term) {
        const GiNaC::numeric c = coefficient_of(term);
        if (c.is_integer() && GiNaC::mod(c, d).is_zero()) whole += term / d;
        else rest += term;
    };
    if (GiNaC::is_a<GiNaC::add>(top)) for (const auto& t : top) split(t);
    else split(top);
    if (rest.is_zero()) return whole;
    const ex inner = rest / d;
    return whole + (up ? size_ceil(inner).hold() : size_floor(inner).hold());
}

ex floor_eval(const ex& x) { return rounded(x, false); }
ex ceil_eval(const ex& x) { return rounded(x, true); }

}  // namespace

REGISTER_FUNCTION(size_floor, eval_func(floor_eval).set_name("floor", "\\lfloor"))
REGISTER_FUNCTION(size_ceil, eval_func(ceil_eval).set_name("ceil", "\\lceil"))

ex floor_of(const ex& x) { return size_floor(x); }
ex ceil_of(const ex& x) { return size_ceil(x); }

bool is_rounding(const ex& e) { return is_ex_the_function(e, size_floor) || is_ex_the_function(e, size_ceil); }

bool has_rounding(const ex& e) {
    if (is_rounding(e)) return true;
    for (size_t i = 0; i < e.nops(); ++i)
        if (has_rounding(e.op(i))) return true;
    return false;
}

std::string rounding_text(const ex& e) {
    const bool up = is_ex_the_function(e, size_ceil);
    const ex parts = e.op(0).normal().numer_denom();
    const ex top = parts.op(0).expand(), bottom = parts.op(1);
    std::string text = size_text(top);
    if (!bottom.is_equal(1)) {
        if (GiNaC::is_a<GiNaC::add>(top)) text = "(" + text + ")";
        const std::string below = size_text(bottom);
        text += "/" + (GiNaC::is_a<GiNaC::numeric>(bottom) || GiNaC::is_a<GiNaC::symbol>(bottom) ? below : "(" + below + ")");
    }
    return (up ? "\u2308" : "\u230A") + text + (up ? "\u2309" : "\u230B");
}

}  // namespace dlsolve::equations

#include "equations/newton.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <ginac/ginac.h>

#include "check/expect.h"
#include "equations/sizes.h"
#include "expr/expr.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

using GiNaC::ex;

constexpr size_t kMaxParams = 4;
constexpr int64_t kMaxSteps = 50;

// A double as the exact binary fraction it holds, so GiNaC's arithmetic stays exact
// until the value is asked for (0.1 is 3602879701896397/2^55).
GiNaC::numeric exact(double v) {
    int exponent = 0;
    const double fraction = std::frexp(v, &exponent);
    const auto mantissa = static_cast<long>(std::ldexp(fraction, 53));
    return GiNaC::numeric(mantissa) * GiNaC::numeric(2).power(GiNaC::numeric(exponent - 53));
}

std::string printed(const ex& e) {
    std::ostringstream out;
    out << e;
    return out.str();
}

// GiNaC orders the terms of a sum and the factors of a product by its symbols' serial
// numbers, which shift whenever other code creates symbols: the formulas are written in
// an order of their own, terms by falling degree in the parameters, then as text.
std::string stable(const ex& e, const std::vector<GiNaC::symbol>& w) {
    using namespace GiNaC;
    const auto wrapped = [&](const ex& x) {
        const std::string t = stable(x, w);
        return is_a<add>(x) || is_a<mul>(x) || (is_a<numeric>(x) && !ex_to<numeric>(x).is_nonneg_integer()) ? fmt::format("({})", t) : t;
    };
    if (is_a<add>(e)) {
        std::vector<std::pair<int, std::string>> terms;
        for (size_t i = 0; i < e.nops(); ++i) {
            int degree = 0;
            for (const auto& s : w) {
                try {
                    degree += e.op(i).degree(s);
                } catch (const std::exception&) {
                }
            }
            terms.emplace_back(-degree, stable(e.op(i), w));
        }
        std::sort(terms.begin(), terms.end());
        std::string out;
        for (const auto& [degree, t] : terms) out += out.empty() || t.starts_with("-") ? t : fmt::format("+{}", t);
        return out;
    }
    if (is_a<mul>(e)) {
        numeric coefficient = 1;
        std::vector<std::string> factors;
        for (size_t i = 0; i < e.nops(); ++i) {
            if (is_a<numeric>(e.op(i))) coefficient *= ex_to<numeric>(e.op(i));
            else factors.push_back(is_a<add>(e.op(i)) ? fmt::format("({})", stable(e.op(i), w)) : stable(e.op(i), w));
        }
        std::sort(factors.begin(), factors.end());
        std::string out = fmt::format("{}", fmt::join(factors, "*"));
        if (coefficient == -1) return fmt::format("-{}", out);
        if (coefficient == 1) return out;
        return fmt::format("{}*{}", printed(coefficient), out);
    }
    if (is_a<power>(e)) return fmt::format("{}^{}", wrapped(e.op(0)), wrapped(e.op(1)));
    if (is_a<function>(e)) {
        std::vector<std::string> args;
        for (size_t i = 0; i < e.nops(); ++i) args.push_back(stable(e.op(i), w));
        return fmt::format("{}({})", ex_to<function>(e).get_name(), fmt::join(args, ","));
    }
    return printed(e);
}

std::vector<std::pair<std::string, double>> read_values(const Json* object, const std::string& path, bool required) {
    std::vector<std::pair<std::string, double>> values;
    if (!object) return values;
    if (!object->is_object() || (required && object->empty()))
        throw ProblemError(path, fmt::format("expected an object of {}names and numbers such as {{\"w\": 1.5}}, found {}",
                                             required ? "one to four " : "", describe(*object)));
    static const std::regex name("[A-Za-z][A-Za-z0-9_]*");
    for (const auto& [key, value] : object->items()) {
        if (!std::regex_match(key, name)) throw ProblemError(path + "/" + key, "expected a name of letters, digits and _ (w, w1, x_2)");
        if (!value.is_number()) throw ProblemError(path + "/" + key, "expected a number, found " + describe(value));
        const double v = value.get<double>();
        if (!std::isfinite(v)) throw ProblemError(path + "/" + key, "expected a finite number");
        values.emplace_back(key, v);
    }
    return values;
}

// Parses the function over the parameters and constants; a name without a value is refused.
ex parse_function(const NewtonProblem& p, GiNaC::symtab& table) {
    for (const auto& [name, v] : p.params) table[name] = GiNaC::symbol(name);
    for (const auto& [name, v] : p.constants) table[name] = GiNaC::symbol(name);
    std::string text;  // Python's ** as GiNaC's ^
    for (size_t i = 0; i < p.function.size(); ++i) {
        const bool power = p.function[i] == '*' && i + 1 < p.function.size() && p.function[i + 1] == '*';
        text += power ? '^' : p.function[i];
        i += power;
    }
    ex f;
    try {
        GiNaC::parser reader(table);
        f = reader(text);
    } catch (const std::exception& e) {
        std::string why = e.what();
        why = why.substr(0, why.find('\n'));
        throw ProblemError("/newton/function", fmt::format("cannot read \"{}\": {}", p.function, why));
    }
    for (auto it = f.preorder_begin(); it != f.preorder_end(); ++it)
        if (GiNaC::is_a<GiNaC::symbol>(*it)) {
            const std::string name = GiNaC::ex_to<GiNaC::symbol>(*it).get_name();
            if (!table.count(name))
                throw ProblemError("/newton/function", fmt::format("\"{}\" has no value: give it in \"params\" (a parameter Newton's method steps) "
                                                                   "or \"constants\" (held fixed)", name));
        }
    return f;
}

double value_at(const ex& e, const GiNaC::exmap& at, const std::string& what) {
    ex v;
    try {
        v = e.subs(at).evalf();
    } catch (const std::exception& error) {
        throw ProblemError("/newton", fmt::format("{} cannot be evaluated: {}", what, error.what()));
    }
    if (!GiNaC::is_a<GiNaC::numeric>(v) || !GiNaC::ex_to<GiNaC::numeric>(v).is_real())
        throw ProblemError("/newton", fmt::format("{} is not a real number ({})", what, printed(v)));
    const double d = GiNaC::ex_to<GiNaC::numeric>(v).to_double();
    if (!std::isfinite(d)) throw ProblemError("/newton", fmt::format("{} is not finite", what));
    return d;
}

// Solves H d = g by Gaussian elimination with partial pivoting; false when H is singular
// (a pivot below 1e-12 of H's largest entry).
bool solve_linear(std::vector<double> h, std::vector<double> g, size_t n, std::vector<double>& d) {
    double scale = 0;
    for (double x : h) scale = std::max(scale, std::abs(x));
    if (scale == 0) return false;
    for (size_t c = 0; c < n; ++c) {
        size_t pivot = c;
        for (size_t r = c + 1; r < n; ++r)
            if (std::abs(h[r * n + c]) > std::abs(h[pivot * n + c])) pivot = r;
        if (std::abs(h[pivot * n + c]) <= 1e-12 * scale) return false;
        for (size_t k = 0; k < n; ++k) std::swap(h[c * n + k], h[pivot * n + k]);
        std::swap(g[c], g[pivot]);
        for (size_t r = c + 1; r < n; ++r) {
            const double factor = h[r * n + c] / h[c * n + c];
            for (size_t k = c; k < n; ++k) h[r * n + k] -= factor * h[c * n + k];
            g[r] -= factor * g[c];
        }
    }
    d.assign(n, 0);
    for (size_t r = n; r-- > 0;) {
        double s = g[r];
        for (size_t k = r + 1; k < n; ++k) s -= h[r * n + k] * d[k];
        d[r] = s / h[r * n + r];
    }
    return true;
}

std::string point(const NewtonProblem& p, const std::vector<double>& w, size_t k) {
    std::vector<std::string> parts;
    for (size_t i = 0; i < w.size(); ++i) parts.push_back(fmt::format("{}_{} = {}", p.params[i].first, k, format_real(w[i])));
    return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

bool is_newton_document(const std::string& text) {
    if (text.find("\"newton\"") == std::string::npos) return false;
    const Json root = Json::parse(text, nullptr, false);
    return root.is_object() && root.contains("newton");
}

NewtonProblem read_newton(const std::string& text) {
    const Json root = Json::parse(text, nullptr, false);
    if (root.is_discarded()) throw ProblemError("", "not valid JSON");
    Fields top(root, "");
    NewtonProblem p;
    p.title = top.string("title");
    p.source = top.optional_string("source").value_or("");
    if (const Json* note = top.raw("note")) {
        if (note->is_string()) p.notes.push_back(note->get<std::string>());
        else if (note->is_array())
            for (const auto& item : *note)
                if (item.is_string()) p.notes.push_back(item.get<std::string>());
        if (p.notes.empty() || (note->is_array() && p.notes.size() != note->size())) top.fail("note", "a string or an array of strings");
    }
    if (const Json* t = top.raw("tolerance")) p.compare = read_tolerance(*t, "/tolerance");
    const Json* newton = top.raw("newton");
    if (!newton->is_object()) top.fail("newton", "an object with \"function\", \"params\" and optionally \"constants\" and \"steps\"");
    Fields n(*newton, "/newton");
    p.function = n.string("function");
    const Json* params = n.raw("params");
    if (!params) n.missing("params", "the parameters and their starting values, such as {\"w\": 1.5}");
    p.params = read_values(params, "/newton/params", true);
    if (p.params.size() > kMaxParams) n.fail("params", "at most four parameters (the Hessian is solved as written out)");
    p.constants = read_values(n.raw("constants"), "/newton/constants", false);
    for (const auto& [name, v] : p.constants)
        for (const auto& [param, w] : p.params)
            if (name == param) throw ProblemError("/newton/constants/" + name, "\"" + name + "\" is a parameter already");
    p.steps = n.integer("steps", 1, 1, kMaxSteps);
    n.finish();
    if (const Json* e = top.raw("expect"))
        p.expect = read_expect(*e, p.key_tolerances, [](const std::string& key, const Json& value) {
            if (!value.is_number() && !(value.is_string() && key.ends_with(".verdict")))
                throw ProblemError("/expect/" + key, "expected a number, found " + describe(value));
        });
    top.finish();
    return p;
}

NewtonSolution solve_newton(const NewtonProblem& p) {
    const std::lock_guard lock(equations::symbolic_lock());
    GiNaC::symtab table;
    const ex f = parse_function(p, table);
    const size_t n = p.params.size();
    std::vector<GiNaC::symbol> w;
    for (const auto& [name, v] : p.params) w.push_back(GiNaC::ex_to<GiNaC::symbol>(table[name]));
    GiNaC::exmap constants;
    for (const auto& [name, v] : p.constants) constants[table[name]] = exact(v);

    NewtonSolution s;
    s.function = stable(f, w);
    std::vector<ex> gradient, hessian;
    for (size_t i = 0; i < n; ++i) gradient.push_back(f.diff(w[i]));
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j) hessian.push_back(gradient[i].diff(w[j]));
    for (const auto& g : gradient) s.gradient.push_back(stable(g, w));
    for (const auto& h : hessian) s.hessian.push_back(stable(h, w));
    GiNaC::matrix m(static_cast<unsigned>(n), static_cast<unsigned>(n));
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j) m(static_cast<unsigned>(i), static_cast<unsigned>(j)) = hessian[i * n + j];
    const ex det = m.determinant();
    if (n > 1) s.determinant = stable(det.expand(), w);
    // f'' (det H) that is 0 whatever w is, with the constants' values: no step exists.
    s.undefined = det.subs(constants).expand().normal().is_zero();
    std::vector<double> current;
    for (const auto& [name, v] : p.params) current.push_back(v);
    if (s.undefined) {
        s.last = current;
        return s;
    }
    for (int64_t k = 0; k < p.steps; ++k) {
        GiNaC::exmap at = constants;
        for (size_t i = 0; i < n; ++i) at[w[i]] = exact(current[i]);
        NewtonStep step;
        step.w = current;
        const std::string where = fmt::format("step {}: at {}", k + 1, point(p, current, static_cast<size_t>(k)));
        step.f = value_at(f, at, fmt::format("{}, f", where));
        for (size_t i = 0; i < n; ++i) step.gradient.push_back(value_at(gradient[i], at, fmt::format("{}, ∂f/∂{}", where, p.params[i].first)));
        for (size_t i = 0; i < n * n; ++i)
            step.hessian.push_back(value_at(hessian[i], at, fmt::format("{}, ∂²f/∂{}∂{}", where, p.params[i / n].first, p.params[i % n].first)));
        if (n == 1) {
            if (step.hessian[0] == 0)
                throw ProblemError("/newton", fmt::format("{}: f''({}_{}) = 0, so Newton's step {}_{} = {}_{} − f'({}_{})/f''({}_{}) divides by 0",
                                                          where, p.params[0].first, k, p.params[0].first, k + 1, p.params[0].first, k,
                                                          p.params[0].first, k, p.params[0].first, k));
            step.delta = {step.gradient[0] / step.hessian[0]};
        } else if (!solve_linear(step.hessian, step.gradient, n, step.delta)) {
            std::vector<std::string> names;
            for (const auto& [name, v] : p.params) names.push_back(name);
            throw ProblemError("/newton", fmt::format("{}: the Hessian of f in ({}) is singular, so Newton's step w_{} = w_{} − H(w_{})⁻¹∇f(w_{}) is undefined",
                                                      where, fmt::join(names, ", "), k + 1, k, k, k));
        }
        for (size_t i = 0; i < n; ++i) step.next.push_back(step.w[i] - step.delta[i]);
        for (size_t i = 0; i < n; ++i)
            if (!std::isfinite(step.next[i])) throw ProblemError("/newton", fmt::format("{}: {}_{} is not finite", where, p.params[i].first, k + 1));
        current = step.next;
        s.steps.push_back(std::move(step));
    }
    GiNaC::exmap at = constants;
    for (size_t i = 0; i < n; ++i) at[w[i]] = exact(current[i]);
    s.last = current;
    s.f_last = value_at(f, at, fmt::format("after step {}: f", p.steps));
    return s;
}

}  // namespace dlsolve

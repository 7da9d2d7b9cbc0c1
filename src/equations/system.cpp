#include "equations/system.h"

#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "equations/recurrence.h"
#include "problem/error.h"
#include "problem/values.h"

namespace dlsolve::equations {
namespace {

using GiNaC::ex;
using Shape = std::vector<ex>;

bool valid_name(const std::string& name) {
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || static_cast<unsigned char>(name[0]) >= 0x80))
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return std::isalnum(u) || u == '_' || u == '\'' || u >= 0x80;
    });
}

// A shape while equations are read: a parameter first met in `b1 + …` has no rank yet.
struct Shaped {
    std::optional<Shape> dims;
    Tensor* param = nullptr;  // the parameter whose rank this use decides
};

class Inference {
public:
    explicit Inference(System& s) : s_(s) {}

    void run() {
        for (size_t k = 0; k < s_.equations.size(); ++k) {
            at_ = k;
            const Equation& e = s_.equations[k];
            Tensor* target = find(e.target);
            if (target && target->role != Tensor::Role::Defined)
                fail(fmt::format("\"{}\" is {} and cannot be defined by an equation", e.target,
                                 target->role == Tensor::Role::Param ? "a parameter" : target->role == Tensor::Role::Input ? "an input" : "a target"));
            if (target && target->defined_by >= 0)
                fail(fmt::format("\"{}\" is already defined by {} ({})", e.target, s_.equation_paths[static_cast<size_t>(target->defined_by)],
                                 s_.equations[static_cast<size_t>(target->defined_by)].text));
            Shaped value = shape_of(*e.value);
            if (!value.dims) fail(fmt::format("the shape of \"{}\" is not determined by this equation", e.target));
            if (!target) {
                s_.tensors.push_back({e.target, Tensor::Role::Defined, s_.equation_paths[k], std::nullopt, {}, -1, -1, nullptr});
                target = &s_.tensors.back();
            }
            target->defined_by = static_cast<int>(k);
            if (!target->shape) {
                target->shape = *value.dims;
            } else {
                if (target->shape->size() != value.dims->size())
                    fail(fmt::format("\"{}\" is given the shape {} but the right-hand side has rank {}", e.target,
                                     shape_text(*target->shape), value.dims->size()));
                for (size_t i = 0; i < value.dims->size(); ++i)
                    unify((*target->shape)[i], (*value.dims)[i],
                          [&] { return fmt::format("\"{}\" is given {} but the right-hand side is {}", e.target,
                                                   shape_text(resolved(*target->shape)), shape_text(resolved(*value.dims))); });
            }
        }
        finish();
    }

private:
    System& s_;
    size_t at_ = 0;
    GiNaC::exmap bound_;
    std::map<std::string, size_t> why_;  // unknown → the equation that bound it
    std::set<std::string> unknown_;
    int counter_ = 0;

    Tensor* find(const std::string& name) {
        for (auto& t : s_.tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
    [[noreturn]] void fail(const std::string& what) const {
        throw ProblemError(s_.equation_paths[at_], fmt::format("{} (in {})", what, s_.equations[at_].text));
    }
    ex fresh() {
        GiNaC::symbol u("?" + std::to_string(++counter_));
        unknown_.insert(u.get_name());
        return u;
    }
    bool is_unknown(const ex& e) const { return GiNaC::is_a<GiNaC::symbol>(e) && unknown_.count(GiNaC::ex_to<GiNaC::symbol>(e).get_name()); }
    bool is_batch(const ex& e) const {
        if (!GiNaC::is_a<GiNaC::symbol>(e)) return false;
        const auto& name = GiNaC::ex_to<GiNaC::symbol>(e).get_name();
        return std::find(s_.batch_dims.begin(), s_.batch_dims.end(), name) != s_.batch_dims.end();
    }
    ex resolved(const ex& e) const {
        ex r = e;
        for (int i = 0; i < 64; ++i) {
            ex next = r.subs(bound_);
            if (next.is_equal(r)) break;
            r = next;
        }
        return r.expand();
    }
    Shape resolved(const Shape& s) const {
        Shape out;
        for (const auto& d : s) out.push_back(resolved(d));
        return out;
    }
    void bind(const ex& unknown, const ex& value) {
        bound_[unknown] = value;
        why_[GiNaC::ex_to<GiNaC::symbol>(unknown).get_name()] = at_;
    }
    template <class Message>
    void unify(const ex& left, const ex& right, Message&& message) {
        const ex a = resolved(left), b = resolved(right);
        if (a.is_equal(b)) return;
        if (is_unknown(a)) return bind(a, b);
        if (is_unknown(b)) return bind(b, a);
        if ((a - b).expand().is_zero() || (s_.evaluate(a) - s_.evaluate(b)).expand().is_zero()) return;  // D = 2 meets 2
        fail(message());
    }

    // A parameter met without a rank takes one now.
    Shape settle(Shaped& s, size_t rank, const Shape* like = nullptr) {
        if (s.dims) return *s.dims;
        Shape dims;
        if (like) {
            for (const auto& d : *like) dims.push_back(is_batch(resolved(d)) ? ex(1) : d);
        } else {
            for (size_t i = 0; i < rank; ++i) dims.push_back(fresh());
        }
        s.param->shape = dims;
        s.dims = dims;
        return dims;
    }

    Shaped shape_of(const Node& n) {
        switch (n.kind) {
            case Node::Kind::Number: return {Shape{}, nullptr};
            case Node::Kind::Name: {
                Tensor* t = find(n.text);
                if (!t || (t->role == Tensor::Role::Defined && t->defined_by < 0)) {
                    if (s_.dims.count(n.text))
                        fail(fmt::format("\"{}\" is a size (in \"dims\"), not a tensor", n.text));
                    fail(fmt::format("\"{}\" is not defined: give it in \"inputs\" or \"params\", or define it in an earlier equation", n.text));
                }
                if (t->role == Tensor::Role::Target)
                    fail(fmt::format("\"{}\" is a target: the loss compares it with the output, equations do not compute with it", n.text));
                if (t->first_use < 0) t->first_use = static_cast<int>(at_);
                return {t->shape, t->shape ? nullptr : t};
            }
            case Node::Kind::MatMul: {
                Shaped a = shape_of(*n.args[0]), b = shape_of(*n.args[1]);
                const Shape da = settle(a, 2), db = settle(b, 2);
                if (da.size() != 2 || db.size() != 2)
                    fail(fmt::format("{} multiplies matrices, found ranks {} and {}", to_text(n), da.size(), db.size()));
                unify(da[1], db[0], [&] {
                    return fmt::format("{}: the columns of {} ({}) must equal the rows of {} ({})", to_text(n), to_text(*n.args[0]),
                                       size_text(resolved(da[1])), to_text(*n.args[1]), size_text(resolved(db[0])));
                });
                return {Shape{da[0], db[1]}, nullptr};
            }
            case Node::Kind::Add: case Node::Kind::Sub: case Node::Kind::Mul: case Node::Kind::Div: {
                Shaped a = shape_of(*n.args[0]), b = shape_of(*n.args[1]);
                if (!a.dims && !b.dims) fail(fmt::format("{}: the shapes of both sides are unknown", to_text(n)));
                const Shape da = a.dims ? *a.dims : settle(a, 0, &*b.dims);
                const Shape db = b.dims ? *b.dims : settle(b, 0, &da);
                return {broadcast(n, da, db), nullptr};
            }
            case Node::Kind::Neg: case Node::Kind::Call: {
                Shaped a = shape_of(*n.args[0]);
                if (!a.dims) fail(fmt::format("{}: the shape of {} is unknown", to_text(n), to_text(*n.args[0])));
                return {a.dims, nullptr};
            }
            case Node::Kind::Transpose: {
                Shaped a = shape_of(*n.args[0]);
                const Shape d = settle(a, 2);
                if (d.size() != 2) fail(fmt::format("{} transposes a matrix, found rank {}", to_text(n), d.size()));
                return {Shape{d[1], d[0]}, nullptr};
            }
        }
        return {};
    }

    // NumPy's rule: align on the right; a size 1 (or a missing axis) stretches.
    Shape broadcast(const Node& n, const Shape& a, const Shape& b) {
        const size_t rank = std::max(a.size(), b.size());
        Shape out(rank);
        for (size_t i = 0; i < rank; ++i) {
            const bool in_a = i + a.size() >= rank, in_b = i + b.size() >= rank;
            const ex x = in_a ? resolved(a[i + a.size() - rank]) : ex(1), y = in_b ? resolved(b[i + b.size() - rank]) : ex(1);
            if (x.is_equal(ex(1)) && !is_unknown(y)) out[i] = y;
            else if (y.is_equal(ex(1)) && !is_unknown(x)) out[i] = x;
            else {
                unify(x, y, [&] {
                    return fmt::format("{}: the shapes {} and {} do not broadcast (axis {}: {} against {})", to_text(n),
                                       shape_text(resolved(a)), shape_text(resolved(b)), i + 1, size_text(x), size_text(y));
                });
                out[i] = x;
            }
        }
        return out;
    }

    void finish() {
        for (auto& t : s_.tensors) {
            if (!t.shape) {
                if (t.role == Tensor::Role::Param)
                    throw ProblemError(t.path, fmt::format("the parameter \"{}\" is not used by any equation", t.name));
                continue;
            }
            t.reasons.assign(t.shape->size(), "");
            for (size_t i = 0; i < t.shape->size(); ++i) {
                const ex original = (*t.shape)[i];
                if (is_unknown(original)) {
                    const auto it = why_.find(GiNaC::ex_to<GiNaC::symbol>(original).get_name());
                    if (it != why_.end()) t.reasons[i] = s_.equations[it->second].text;
                }
                const int origin = t.role == Tensor::Role::Defined ? t.defined_by : t.role == Tensor::Role::Param ? t.first_use : -1;
                if (t.reasons[i].empty() && origin >= 0 && !(t.role == Tensor::Role::Param && t.declaration && t.declaration->contains("shape")))
                    t.reasons[i] = s_.equations[static_cast<size_t>(origin)].text;
                (*t.shape)[i] = resolved(original);
                if (has_unknown((*t.shape)[i]))
                    throw ProblemError(t.path, fmt::format("the equations do not determine axis {} of \"{}\": give its \"shape\", or "
                                                           "the shape of a tensor it makes in \"shapes\"",
                                                           i + 1, t.name));
            }
        }
    }
    bool has_unknown(const ex& e) const {
        for (GiNaC::const_preorder_iterator it = e.preorder_begin(); it != e.preorder_end(); ++it)
            if (is_unknown(*it)) return true;
        return false;
    }
};

Shape read_shape(const Json& value, const std::string& path, const System& s) {
    if (!value.is_array()) throw ProblemError(path, "expected a shape: an array of sizes (numbers or names from \"dims\"), found " + describe(value));
    Shape out;
    for (size_t i = 0; i < value.size(); ++i) {
        const Json& d = value[i];
        const std::string at = fmt::format("{}/{}", path, i);
        if (d.is_number_integer() && d.get<int64_t>() > 0) out.emplace_back(d.get<int64_t>());
        else if (d.is_string() && s.dims.count(d.get<std::string>())) out.emplace_back(s.dims.at(d.get<std::string>()));
        else if (d.is_string()) throw ProblemError(at, fmt::format("the size \"{}\" is not declared in \"dims\"", d.get<std::string>()));
        else throw ProblemError(at, "expected a positive integer or a size name, found " + describe(d));
    }
    return out;
}

// "values" fix a declared tensor's sizes: a size symbol without a value takes it.
void check_values(Tensor& t, System& s) {
    Fields f(*t.declaration, t.path);
    const Json* v = t.declaration->contains("values") ? &(*t.declaration)["values"] : nullptr;
    if (!v) return;
    const auto numbers = read_tensor(*v, t.path + "/values");
    Shape given;
    for (auto d : numbers.shape) given.emplace_back(d);
    if (!t.shape) {
        t.shape = given;
        return;
    }
    if (t.shape->size() != given.size())
        throw ProblemError(t.path + "/values", fmt::format("expected values of shape {} (\"shape\"), found {}", shape_text(*t.shape),
                                                           shape_text(given)));
    for (size_t i = 0; i < given.size(); ++i) {
        const ex d = s.evaluate((*t.shape)[i]);
        if (GiNaC::is_a<GiNaC::symbol>(d)) {
            const std::string name = GiNaC::ex_to<GiNaC::symbol>(d).get_name();
            s.dim_values[name] = static_cast<int64_t>(numbers.shape[i]);
        } else if (!(d - given[i]).expand().is_zero()) {
            throw ProblemError(t.path + "/values", fmt::format("expected values of shape {} (\"shape\"), found {}",
                                                               shape_text(*t.shape), shape_text(given)));
        }
    }
}

void read_tensors(Fields& top, const char* key, Tensor::Role role, System& s) {
    const Json* list = top.raw(key);
    if (!list) return;
    if (!list->is_object()) top.fail(key, "an object: tensor name → {\"shape\", \"values\", \"symbols\"}");
    for (const auto& [name, declaration] : list->items()) {
        const std::string path = fmt::format("/{}/{}", key, name);
        if (!valid_name(name)) throw ProblemError(path, "a tensor name is letters, digits, _ and ', starting with a letter");
        if (s.find(name)) throw ProblemError(path, fmt::format("\"{}\" is declared twice", name));
        if (s.dims.count(name)) throw ProblemError(path, fmt::format("\"{}\" is a size (in \"dims\") and cannot also be a tensor", name));
        if (!declaration.is_object()) throw ProblemError(path, "expected an object with \"shape\", \"values\" or \"symbols\", found " + describe(declaration));
        Fields f(declaration, path);
        Tensor t{name, role, path, std::nullopt, {}, -1, -1, &declaration};
        if (const Json* shape = f.raw("shape")) t.shape = read_shape(*shape, path + "/shape", s);
        f.raw("values");
        f.raw("symbols");
        f.finish();
        if (role != Tensor::Role::Param && !t.shape && !declaration.contains("values"))
            throw ProblemError(path, "missing required key \"shape\" (or \"values\")");
        s.tensors.push_back(std::move(t));
    }
}

}  // namespace

const Tensor* System::find(const std::string& name) const {
    for (const auto& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

GiNaC::ex System::evaluate(const GiNaC::ex& size) const {
    GiNaC::exmap values;
    for (const auto& [name, v] : dim_values) values[dims.at(name)] = v;
    return size.subs(values).expand();
}

bool System::numeric() const { return free_dims().empty() && functions.empty(); }

std::vector<std::string> System::free_dims() const {
    std::vector<std::string> out;
    for (const auto& name : dim_names)
        if (!dim_values.count(name)) out.push_back(name);
    return out;
}

std::string System::why_symbolic() const {
    const auto sizes = free_dims();
    if (!sizes.empty())
        return fmt::format("the size{} {} {} no value: give {} in \"dims\"", sizes.size() > 1 ? "s" : "", fmt::join(sizes, ", "),
                           sizes.size() > 1 ? "have" : "has", sizes.size() > 1 ? "them" : "it");
    return fmt::format("the function{} {} {} no formula", functions.size() > 1 ? "s" : "", fmt::join(functions, ", "),
                       functions.size() > 1 ? "have" : "has");
}

System read_system(Fields& top) {
    System s;
    if (const Json* dims = top.raw("dims")) {
        if (!dims->is_object()) top.fail("dims", "an object: size name → a positive integer, or null for a symbol");
        for (const auto& [name, value] : dims->items()) {
            const std::string path = "/dims/" + name;
            if (!valid_name(name)) throw ProblemError(path, "a size name is letters, digits, _ and ', starting with a letter");
            s.dim_names.push_back(name);
            s.dims.emplace(name, GiNaC::symbol(name));
            if (value.is_number_integer() && value.get<int64_t>() > 0) s.dim_values[name] = value.get<int64_t>();
            else if (!value.is_null()) throw ProblemError(path, "expected a positive integer, or null for a size without a value, found " + describe(value));
        }
    }
    for (const auto& name : top.names("batch_dims")) {
        if (!s.dims.count(name)) top.fail("batch_dims", fmt::format("names of sizes in \"dims\" (\"{}\" is not one)", name));
        s.batch_dims.push_back(name);
    }
    if (auto m = top.optional_string("examples")) {
        if (!s.dims.count(*m)) top.fail("examples", fmt::format("the name of a size in \"dims\" (\"{}\" is not one)", *m));
        s.examples = *m;
    }
    if (auto up = top.optional_string("upstream")) {
        if (!valid_name(*up)) top.fail("upstream", "the name of the gradient ∂L/∂output, e.g. \"dout\"");
        s.upstream = *up;
    }
    for (const auto& f : top.names("functions")) {
        const auto& builtin = known_functions();
        if (!valid_name(f) || std::find(builtin.begin(), builtin.end(), f) != builtin.end() || s.dims.count(f))
            top.fail("functions", fmt::format("names of new element-wise functions such as \"phi\" (\"{}\" is not one)", f));
        s.functions.push_back(f);
    }
    read_tensors(top, "inputs", Tensor::Role::Input, s);
    read_tensors(top, "targets", Tensor::Role::Target, s);
    read_tensors(top, "params", Tensor::Role::Param, s);
    if (std::none_of(s.tensors.begin(), s.tensors.end(), [](const Tensor& t) { return t.role == Tensor::Role::Input; }))
        top.missing("inputs", "an object: input name → {\"shape\": […], \"values\": …}");

    const Json* list = top.raw("equations");
    if (!list->is_array() || list->empty()) top.fail("equations", "a non-empty array of equations such as \"z1 = W1 @ x + b1\"");
    for (size_t k = 0; k < list->size(); ++k) {
        const std::string path = fmt::format("/equations/{}", k);
        if (!(*list)[k].is_string()) throw ProblemError(path, "expected an equation as a string, found " + describe((*list)[k]));
        s.equations.push_back(parse_equation((*list)[k].get<std::string>(), path, s.functions));
        s.equation_paths.push_back(path);
    }
    prepare_recurrences(s, top);
    // Values fix sizes that have none (after unrolling: each step of a sequence is checked).
    for (auto& t : s.tensors)
        if (t.declaration) check_values(t, s);
    // Shapes the file states for tensors the equations make (the exam's "D_a1 hidden units").
    if (const Json* shapes = top.raw("shapes")) {
        if (!shapes->is_object()) top.fail("shapes", "an object: tensor name → shape");
        for (const auto& [name, shape] : shapes->items()) {
            const std::string path = "/shapes/" + name;
            // A recurrence's h gives the shape of every step h1 … hT.
            std::vector<std::string> names{name};
            if (std::any_of(s.recurrences.begin(), s.recurrences.end(), [&](const Equation& e) { return e.target == name; }) &&
                GiNaC::is_a<GiNaC::numeric>(s.time))
                for (long t = 1; t <= GiNaC::ex_to<GiNaC::numeric>(s.time).to_long(); ++t) names.push_back(name + std::to_string(t));
            bool defined = false;
            for (const auto& n : names) {
                if (!std::any_of(s.equations.begin(), s.equations.end(), [&](const Equation& e) { return e.target == n; })) continue;
                if (Tensor* known = const_cast<Tensor*>(s.find(n))) {  // a recurrence's state, shaped like its start
                    known->shape = read_shape(shape, path, s);
                    known->path = path;
                } else {
                    s.tensors.push_back({n, Tensor::Role::Defined, path, read_shape(shape, path, s), {}, -1, -1, nullptr});
                }
                defined = true;
            }
            if (!defined) throw ProblemError(path, fmt::format("\"{}\" is not defined by any equation", name));
        }
    }
    Inference(s).run();
    s.output = s.equations.back().target;
    return s;
}

std::string size_text(const GiNaC::ex& size) {
    const ex e = size.expand();
    std::vector<ex> terms;
    if (GiNaC::is_a<GiNaC::add>(e)) for (const auto& t : e) terms.push_back(t);
    else terms.push_back(e);
    // Highest total degree first; among equals, the highest single power (4n² before 4m·n).
    const auto degrees = [](const ex& t) {
        int total = 0, highest = 0;
        std::vector<ex> factors;
        if (GiNaC::is_a<GiNaC::mul>(t)) for (const auto& f : t) factors.push_back(f);
        else factors.push_back(t);
        for (const auto& f : factors) {
            int p = 0;
            if (GiNaC::is_a<GiNaC::symbol>(f)) p = 1;
            else if (GiNaC::is_a<GiNaC::power>(f) && GiNaC::is_a<GiNaC::numeric>(f.op(1))) p = GiNaC::ex_to<GiNaC::numeric>(f.op(1)).to_int();
            total += p;
            highest = std::max(highest, p);
        }
        return std::pair{total, highest};
    };
    std::stable_sort(terms.begin(), terms.end(), [&](const ex& a, const ex& b) { return degrees(a) > degrees(b); });
    static const char* superscript[] = {"\u2070", "\u00B9", "\u00B2", "\u00B3", "\u2074", "\u2075", "\u2076", "\u2077", "\u2078", "\u2079"};
    std::string out;
    for (size_t k = 0; k < terms.size(); ++k) {
        GiNaC::numeric coefficient = 1;
        std::vector<std::string> factors;
        std::vector<ex> parts;
        if (GiNaC::is_a<GiNaC::mul>(terms[k])) for (const auto& f : terms[k]) parts.push_back(f);
        else parts.push_back(terms[k]);
        for (const auto& f : parts) {
            if (GiNaC::is_a<GiNaC::numeric>(f)) { coefficient *= GiNaC::ex_to<GiNaC::numeric>(f); continue; }
            std::ostringstream text;
            if (GiNaC::is_a<GiNaC::power>(f) && GiNaC::is_a<GiNaC::numeric>(f.op(1)) && GiNaC::ex_to<GiNaC::numeric>(f.op(1)).is_pos_integer() &&
                GiNaC::ex_to<GiNaC::numeric>(f.op(1)).to_int() < 10) {
                text << f.op(0) << superscript[GiNaC::ex_to<GiNaC::numeric>(f.op(1)).to_int()];
            } else {
                text << f;
            }
            factors.push_back(text.str());
        }
        const bool negative = coefficient.is_negative();
        if (negative) coefficient = -coefficient;
        out += k == 0 ? (negative ? "\u2212" : "") : (negative ? " \u2212 " : " + ");
        std::ostringstream c;
        c << coefficient;
        if (factors.empty()) out += c.str();
        else if (coefficient == 1) out += fmt::format("{}", fmt::join(factors, "\u00B7"));
        // 27C², but 2·D_a1: a coefficient joins a one-letter size directly.
        else out += c.str() + (factors.front().size() == 1 || factors.front().find("\u00B2") == 1 || factors.front().find("\u00B3") == 1 ? "" : "\u00B7") +
                    fmt::format("{}", fmt::join(factors, "\u00B7"));
    }
    return out;
}

std::string shape_text(const std::vector<GiNaC::ex>& shape) {
    if (shape.empty()) return "scalar";
    std::vector<std::string> parts;
    for (const auto& d : shape) {
        const std::string t = size_text(d);
        parts.push_back(GiNaC::is_a<GiNaC::add>(d.expand()) ? "(" + t + ")" : t);
    }
    return fmt::format("{}", fmt::join(parts, " \u00D7 "));
}

std::string product_text(const std::vector<GiNaC::ex>& factors) { return shape_text(factors); }

namespace {

// "27*C^2", "D_a1 × D", "27C²" → a GiNaC expression over the symbols in the text.
std::optional<ex> parse_symbolic(std::string text, GiNaC::symtab& table) {
    const std::vector<std::pair<std::string, std::string>> replace{
        {"\u00D7", "*"}, {"\u00B7", "*"}, {"\u2212", "-"}, {"\u00B2", "^2"}, {"\u00B3", "^3"}};
    for (const auto& [from, to] : replace)
        for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
    // 27C → 27*C: a digit followed by a letter is a coefficient.
    std::string spaced;
    for (size_t i = 0; i < text.size(); ++i) {
        spaced += text[i];
        if (std::isdigit(static_cast<unsigned char>(text[i])) && i + 1 < text.size() && std::isalpha(static_cast<unsigned char>(text[i + 1]))) {
            size_t j = i;
            while (j > 0 && (std::isalnum(static_cast<unsigned char>(text[j - 1])) || text[j - 1] == '_')) --j;
            if (j == i || !std::isalpha(static_cast<unsigned char>(text[j]))) spaced += '*';
        }
    }
    try {
        GiNaC::parser reader(table);
        ex result = reader(spaced);
        table = reader.get_syms();
        return result;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

bool same_symbolic(const Json& expected, const Json& computed, const std::map<std::string, int64_t>& sizes) {
    GiNaC::symtab table;
    const auto as_list = [](const Json& j) {
        std::vector<std::string> parts;
        if (j.is_array()) {
            for (const auto& p : j) parts.push_back(p.is_string() ? p.get<std::string>() : p.dump());
        } else if (j.is_string()) {
            parts.push_back(j.get<std::string>());
        } else {
            parts.push_back(j.dump());
        }
        return parts;
    };
    auto a = as_list(expected), b = as_list(computed);
    // A shape key may be written "D_a1 × D" against the computed ["D_a1", "D"].
    if (a.size() == 1 && b.size() > 1 && computed.is_array()) {
        std::vector<std::string> split;
        std::string rest = a[0];
        for (size_t at; (at = rest.find("\u00D7")) != std::string::npos; rest = rest.substr(at + 2)) split.push_back(rest.substr(0, at));
        split.push_back(rest);
        a = split;
    }
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        const auto x = parse_symbolic(a[i], table), y = parse_symbolic(b[i], table);
        if (!x || !y) return a[i] == b[i];  // not arithmetic (a matrix expression): compared as written
        GiNaC::exmap values;
        for (const auto& [name, value] : sizes)
            if (auto it = table.find(name); it != table.end()) values[it->second] = value;
        if (!(*x - *y).subs(values).expand().is_zero()) return false;
    }
    return true;
}

}  // namespace dlsolve::equations

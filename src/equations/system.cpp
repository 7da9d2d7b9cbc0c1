#include "equations/system.h"

#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "equations/inference.h"
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
        for (const auto& item : shapes->items()) {
            // Named copies, not a structured binding: the lambdas below capture them (clang 14).
            const std::string& name = item.key();
            const Json& shape = item.value();
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
    infer_shapes(s);
    s.output = s.equations.back().target;
    return s;
}

}  // namespace dlsolve::equations

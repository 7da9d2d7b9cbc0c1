#include "equations/recurrence.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve::equations {
namespace {

// A copy of `n` with every name renamed by `rename(name, lag)` (lag: nullopt when the
// name has no time index).
NodePtr renamed(const Node& n, const std::function<std::string(const Node&)>& rename) {
    auto copy = std::make_shared<Node>(n);
    if (n.kind == Node::Kind::Name) {
        copy->text = rename(n);
        copy->lag.reset();
    }
    for (auto& a : copy->args) a = renamed(*a, rename);
    return copy;
}

void check_step_names(const Node& n, const Equation& e, const std::string& path, const System& s) {
    if (n.kind == Node::Kind::Name && n.lag) {
        if (n.text == e.target && *n.lag == 0)
            throw ProblemError(path, fmt::format("column {}: {}[t] cannot depend on itself; the step before is {}[t-1] (in {})", n.column,
                                                 n.text, n.text, e.text));
        if (n.text != e.target && *n.lag == 1)
            throw ProblemError(path, fmt::format("column {}: only the recurrence's own {}[t-1] reads the step before (in {})", n.column,
                                                 e.target, e.text));
        if (n.text != e.target) {
            const Tensor* t = s.find(n.text);
            if (!t || t->role != Tensor::Role::Input)
                throw ProblemError(path, fmt::format("column {}: {}[t] is a step of an input: declare \"{}\" in \"inputs\" with the shape of one step (in {})",
                                                     n.column, n.text, n.text, e.text));
        }
    }
    for (const auto& a : n.args) check_step_names(*a, e, path, s);
}

}  // namespace

void prepare_recurrences(System& s, Fields& top) {
    const Json* time = top.raw("time");
    const bool any = std::any_of(s.equations.begin(), s.equations.end(), [](const Equation& e) { return e.recurrent; });
    if (!any) {
        if (time) top.fail("time", "no \"time\" without a recurrence h[t] = … among the equations");
        for (size_t k = 0; k < s.equations.size(); ++k) {
            const std::function<void(const Node&)> walk = [&](const Node& n) {
                if (n.lag)
                    throw ProblemError(s.equation_paths[k], fmt::format("column {}: a time index belongs in a recurrence h[t] = … (in {})",
                                                                        n.column, s.equations[k].text));
                for (const auto& a : n.args) walk(*a);
            };
            walk(*s.equations[k].value);
        }
        return;
    }
    if (!time) top.missing("time", "the number of steps T of the recurrence: a number, or a size from \"dims\"");
    if (time->is_number_integer() && time->get<int64_t>() > 0) s.time = time->get<int64_t>();
    else if (time->is_string() && s.dims.count(time->get<std::string>())) s.time = s.evaluate(s.dims.at(time->get<std::string>()));
    else top.fail("time", "the number of steps T: a positive integer or a size from \"dims\"");
    const bool unroll = GiNaC::is_a<GiNaC::numeric>(s.time);
    const int64_t steps = unroll ? GiNaC::ex_to<GiNaC::numeric>(s.time).to_long() : 0;
    if (unroll && steps > 64) top.fail("time", "at most 64 steps to unroll (the worked sums grow with T)");

    std::vector<Equation> out;
    std::vector<std::string> paths;
    std::vector<std::string> finals;  // h → hT: a later equation's plain h is the last state
    for (size_t k = 0; k < s.equations.size(); ++k) {
        const Equation& e = s.equations[k];
        const std::string& path = s.equation_paths[k];
        if (!e.recurrent) {
            const auto rename = [&](const Node& n) {
                if (n.lag) throw ProblemError(path, fmt::format("column {}: a time index belongs in a recurrence h[t] = … (in {})", n.column, e.text));
                const bool final_state = std::find(finals.begin(), finals.end(), n.text) != finals.end();
                return final_state && unroll ? n.text + std::to_string(steps) : n.text;
            };
            Equation copy{e.target, false, renamed(*e.value, rename), e.text};
            if (unroll) copy.text = copy.target + " = " + to_text(*copy.value);
            out.push_back(copy);
            paths.push_back(path);
            continue;
        }
        const std::string start = e.target + "0";
        if (!s.find(start))
            throw ProblemError(path, fmt::format("the recurrence {}[t] needs its start value {}[0]: declare \"{}\" in \"inputs\" (zeros "
                                                 "as its values) or \"params\" (in {})",
                                                 e.target, e.target, start, e.text));
        check_step_names(*e.value, e, path, s);
        // Every state has the start value's shape: h[t] and h[t−1] are the same kind of tensor.
        const auto state_shape = s.find(start)->shape;
        const auto state = [&](const std::string& name) {
            if (state_shape) s.tensors.push_back({name, Tensor::Role::Defined, path, state_shape, {}, -1, -1, nullptr});
        };
        s.recurrences.push_back(e);
        s.recurrence_paths.push_back(path);
        finals.push_back(e.target);
        if (!unroll) {
            // One step, for the shapes: h[t−1] is the start value, x[t] the input's step.
            const auto rename = [&](const Node& n) { return n.text == e.target ? start : n.text; };
            out.push_back({e.target, false, renamed(*e.value, rename), e.text});
            paths.push_back(path);
            state(e.target);
            continue;
        }
        for (int64_t t = 1; t <= steps; ++t) {
            const auto rename = [&](const Node& n) { return n.lag ? n.text + std::to_string(t - *n.lag) : n.text; };
            Equation step{e.target + std::to_string(t), false, renamed(*e.value, rename), ""};
            step.text = step.target + " = " + to_text(*step.value);
            state(step.target);
            out.push_back(step);
            paths.push_back(path);
        }
    }
    s.equations = std::move(out);
    s.equation_paths = std::move(paths);
    if (!unroll) return;
    // Each step of a per-step input is a tensor x1 … xT with x's shape and its values[t−1].
    std::vector<Tensor> steps_of;
    for (const auto& e : s.recurrences) {
        std::vector<std::string> inputs;
        const std::function<void(const Node&)> walk = [&](const Node& n) {
            if (n.kind == Node::Kind::Name && n.lag && n.text != e.target &&
                std::find(inputs.begin(), inputs.end(), n.text) == inputs.end())
                inputs.push_back(n.text);
            for (const auto& a : n.args) walk(*a);
        };
        walk(*e.value);
        for (const auto& name : inputs) {
            const Tensor& x = *s.find(name);
            const Json* values = x.declaration && x.declaration->contains("values") ? &(*x.declaration)["values"] : nullptr;
            if (values && (!values->is_array() || values->size() != static_cast<size_t>(steps)))
                throw ProblemError(x.path + "/values", fmt::format("expected the {} steps of \"{}\", one per time step, found {}", steps, name,
                                                                   describe(*values)));
            for (int64_t t = 1; t <= steps; ++t) {
                Json declaration = Json::object();
                if (values) declaration["values"] = (*values)[static_cast<size_t>(t - 1)];
                s.owned.push_back(declaration);
                Tensor step = x;
                step.name = name + std::to_string(t);
                step.declaration = &s.owned.back();
                steps_of.push_back(step);
            }
        }
    }
    // A sequence x is now its steps x1 … xT.
    std::erase_if(s.tensors, [&](const Tensor& x) {
        return std::any_of(steps_of.begin(), steps_of.end(), [&](const Tensor& t) { return t.name == x.name + "1"; });
    });
    s.tensors.insert(s.tensors.begin(), steps_of.begin(), steps_of.end());
}

}  // namespace dlsolve::equations

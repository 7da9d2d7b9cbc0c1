#include "import/value.h"

#include <algorithm>

namespace dlsolve::code {

std::string describe(const Value& v) {
    switch (v.kind) {
    case V::Int: return "the int " + std::to_string(v.integer);
    case V::Float: return "a float";
    case V::Str: return "the string '" + v.text + "'";
    case V::Bool: return v.integer ? "True" : "False";
    case V::None: return "None";
    case V::Tuple: return "a tuple";
    case V::List: return "a list";
    case V::Module: return "the module " + v.text;
    case V::Layer: return "a layer (" + v.layer->class_name + ")";
    case V::Weight: return "the weight of a layer (" + v.layer->class_name + ")";
    case V::Tensor: return "a tensor";
    case V::BatchSize: return "the batch size";
    case V::Sequential: return "a Sequential model";
    case V::Class: return "a class";
    case V::Instance: return "a module instance";
    case V::Method: return "a method";
    case V::Builtin: return "the function " + v.text;
    }
    return "a value";
}

Args bind_args(const std::string& callee, const std::vector<ValuePtr>& positional, const std::vector<Place>& positional_at,
          const std::vector<std::pair<std::string, ValuePtr>>& keywords, const std::vector<Place>& keyword_at,
          const std::vector<std::string>& signature, const std::vector<std::string>& ignored) {
    Args args;
    args.callee = callee;
    if (!positional_at.empty()) args.call = positional_at[0];
    if (positional.size() > signature.size())
        throw CodeError(positional_at[signature.size()],
                        callee + " with " + std::to_string(positional.size()) + " positional arguments: it takes at most " +
                            std::to_string(signature.size()) + " (" + [&] {
                                std::string list;
                                for (const auto& s : signature) list += (list.empty() ? "" : ", ") + s;
                                return list.empty() ? std::string("none") : list;
                            }() + ")");
    for (size_t i = 0; i < positional.size(); ++i) {
        args.named[signature[i]] = positional[i];
        args.where[signature[i]] = positional_at[i];
    }
    for (size_t i = 0; i < keywords.size(); ++i) {
        const auto& key = keywords[i].first;
        if (std::find(ignored.begin(), ignored.end(), key) != ignored.end()) continue;
        if (std::find(signature.begin(), signature.end(), key) == signature.end()) {
            std::string list;
            for (const auto& s : signature) list += (list.empty() ? "" : ", ") + s;
            throw CodeError(keyword_at[i], "the keyword " + key + "= of " + callee + ": its keywords are " + (list.empty() ? "none" : list));
        }
        if (args.named.count(key)) throw CodeError(keyword_at[i], key + "= given twice to " + callee + ": give each argument once");
        args.named[key] = keywords[i].second;
        args.where[key] = keyword_at[i];
    }
    return args;
}

namespace {
const Value& need(const Args& a, const std::string& key) {
    if (!a.has(key)) throw CodeError(a.call, a.callee + " without its argument " + key + ": give " + key + "=...");
    return *a.named.at(key);
}

[[noreturn]] void wrong(const Args& a, const std::string& key, const std::string& wanted) {
    const auto at = a.where.count(key) ? a.where.at(key) : a.call;
    throw CodeError(at, describe(*a.named.at(key)) + " as " + key + ": " + wanted + " is supported there");
}
}  // namespace

bool is_none(const Args& a, const std::string& key) { return !a.has(key) || a.named.at(key)->kind == V::None; }

int64_t to_int(const Args& a, const std::string& key) {
    const auto& v = need(a, key);
    if (v.kind != V::Int) wrong(a, key, "an int");
    return v.integer;
}

double to_real(const Args& a, const std::string& key) {
    const auto& v = need(a, key);
    if (v.kind == V::Int) return static_cast<double>(v.integer);
    if (v.kind != V::Float) wrong(a, key, "a number");
    return v.real;
}

bool to_bool(const Args& a, const std::string& key) {
    const auto& v = need(a, key);
    if (v.kind != V::Bool) wrong(a, key, "True or False");
    return v.integer != 0;
}

std::string to_text(const Args& a, const std::string& key) {
    const auto& v = need(a, key);
    if (v.kind != V::Str) wrong(a, key, "a string");
    return v.text;
}

Json to_size(const Args& a, const std::string& key) {
    const auto& v = need(a, key);
    if (v.kind == V::Int) return v.integer;
    if ((v.kind == V::Tuple || v.kind == V::List) && v.items.size() == 2 && v.items[0]->kind == V::Int && v.items[1]->kind == V::Int)
        return Json::array({v.items[0]->integer, v.items[1]->integer});
    if ((v.kind == V::Tuple || v.kind == V::List) && v.items.size() == 1 && v.items[0]->kind == V::Int) return v.items[0]->integer;
    wrong(a, key, "an int or a pair of ints");
}

Json to_int_list(const Args& a, const std::string& key) {
    const auto& v = need(a, key);
    if (v.kind == V::Int) return Json::array({v.integer});
    Json list = Json::array();
    if (v.kind != V::Tuple && v.kind != V::List) wrong(a, key, "a tuple of ints");
    for (const auto& item : v.items) {
        if (item->kind != V::Int) wrong(a, key, "a tuple of ints");
        list.push_back(item->integer);
    }
    return list;
}

}  // namespace dlsolve::code

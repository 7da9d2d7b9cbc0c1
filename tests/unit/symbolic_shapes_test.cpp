// Shapes of layer files with sizes in symbols: ⌊…⌋ and ⌈…⌉ simplify where the division
// is exact and agree with the numbers once the sizes have values; keys with floors
// compare as functions of the sizes.
#include <catch2/catch.hpp>

#include "equations/rounding.h"
#include "equations/sizes.h"
#include "helpers.h"
#include "passes/symbolic_shapes.h"
#include "problem/problem.h"

using namespace dlsolve;

namespace {

std::string text_of(const GiNaC::ex& e) { return equations::product_text(e); }

// The shapes a layer file answers in symbols, layer by layer, as text.
std::vector<std::vector<std::string>> shapes_of(const std::string& json) {
    const Problem p = parse_problem(json);
    const std::lock_guard lock(equations::symbolic_lock());
    const SymbolicShapes s = symbolic_shapes(p);
    std::vector<std::vector<std::string>> out;
    for (size_t i : p.graph.order()) {
        std::vector<std::string> dims;
        for (const auto& d : s.layers[i]) dims.push_back(text_of(d.size));
        out.push_back(dims);
    }
    return out;
}

}  // namespace

TEST_CASE("floor and ceil of sizes simplify where the division is exact", "[symbolic][shapes]") {
    const std::lock_guard lock(equations::symbolic_lock());
    const GiNaC::symbol H("H"), C("C");
    CHECK(text_of(equations::floor_of((H - 3) / 1) + 1) == "H \u2212 2");               // k = 3, p = 0, s = 1
    CHECK(text_of(equations::floor_of((H - 2) / 2) + 1) == "\u230AH/2\u230B");          // a 2×2 pool
    CHECK(text_of(equations::floor_of((H - 3) / 2) + 1) == "\u230A(H \u2212 3)/2\u230B + 1");  // kept until H has a value
    CHECK(text_of(equations::ceil_of(H / 2)) == "\u2308H/2\u2309");
    CHECK(text_of(equations::floor_of((2 * C + H) / 2)) == "C + \u230AH/2\u230B");
    // Given a value, the floor is a number, equal to integer division.
    for (int h = 1; h < 200; ++h) {
        const GiNaC::ex v = (equations::floor_of((H - 3) / 2) + 1).subs(H == h);
        REQUIRE(GiNaC::is_a<GiNaC::numeric>(v));
        CHECK(GiNaC::ex_to<GiNaC::numeric>(v).to_int() == (h - 3 >= 0 ? (h - 3) / 2 + 1 : -((3 - h + 1) / 2) + 1));
        const GiNaC::ex u = equations::ceil_of(H / 3).subs(H == h);
        CHECK(GiNaC::ex_to<GiNaC::numeric>(u).to_int() == (h + 2) / 3);
    }
}

TEST_CASE("a layer file's shapes in symbols: valid, same (Keras: ⌈H/s⌉), padded, flatten", "[symbolic][shapes]") {
    const auto shapes = shapes_of(R"({"title": "t", "framework": "keras", "dims": {"H": null, "W": null, "C": null},
        "input": {"shape": ["H", "W", 3]},
        "layers": [{"name": "a", "type": "conv2d", "filters": "C", "kernel": 3},
                   {"name": "b", "type": "conv2d", "filters": "C", "kernel": 3, "padding": "same"},
                   {"name": "c", "type": "conv2d", "filters": 8, "kernel": 3, "padding": "same", "stride": 2},
                   {"name": "f", "type": "flatten"}]})");
    REQUIRE(shapes.size() == 5);
    CHECK(shapes[1] == std::vector<std::string>{"H \u2212 2", "W \u2212 2", "C"});
    CHECK(shapes[2] == std::vector<std::string>{"H \u2212 2", "W \u2212 2", "C"});
    CHECK(shapes[3] == std::vector<std::string>{"\u2308H/2\u2309 \u2212 1", "\u2308W/2\u2309 \u2212 1", "8"});
    CHECK(shapes[4] == std::vector<std::string>{"8\u00B7(\u2308H/2\u2309 \u2212 1)\u00B7(\u2308W/2\u2309 \u2212 1)"});
}

TEST_CASE("keys with floors compare as functions of the sizes", "[symbolic][check]") {
    CHECK(equations::same_symbolic(Json("floor((H-3)/2)+1"), Json("\u230A(H \u2212 1)/2\u230B")));
    CHECK(equations::same_symbolic(Json("ceil(H/2)"), Json("floor((H+1)/2)")));
    CHECK_FALSE(equations::same_symbolic(Json("floor(H/2)"), Json("ceil(H/2)")));
    CHECK_FALSE(equations::same_symbolic(Json("floor((H-3)/2)+1"), Json("H - 2")));
}

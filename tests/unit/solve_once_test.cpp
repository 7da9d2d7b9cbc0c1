// solve answers each whole-network question once, whatever ask lists.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "report/reports.h"

using dlsolve::test::solve_text;

TEST_CASE("solve answers params and buffers with one parameter table", "[report]") {
    auto s = solve_text(R"({"title": "t", "framework": "pytorch", "input": {"shape": [3, 8, 8]},
        "layers": [{"name": "c", "type": "conv2d", "filters": 4, "kernel": 3}, {"name": "bn", "type": "batchnorm"}],
        "ask": ["params", "buffers", "params"]})");
    const auto sheet = dlsolve::solve_worksheet(s.problem, s.analysis);
    size_t tables = 0;
    for (const auto& section : sheet.sections) tables += section.tables.size();
    CHECK(tables == 1);
    CHECK(sheet.answers.at("buffers.bn").get<int64_t>() == 8);
}

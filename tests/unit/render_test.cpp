// Text tables: columns measured in display width (utf8proc), not in code points or bytes.
#include <catch2/catch.hpp>

#include "render/render.h"

using dlsolve::display_width;

TEST_CASE("display width counts combining marks 0 and wide characters 2", "[render]") {
    CHECK(display_width("") == 0);
    CHECK(display_width("abc") == 3);
    CHECK(display_width("×⌈−") == 3);                 // narrow symbols: one column each
    CHECK(display_width("m\u0302") == 1);             // m̂: m + U+0302 COMBINING CIRCUMFLEX ACCENT
    CHECK(display_width("v\u0302 = m\u0302") == 5);
    CHECK(display_width("\u7279\u5F81") == 2 * 2);    // 特征: two wide (East Asian Wide) ideographs
    CHECK(display_width("x\u7279") == 3);
    CHECK(display_width("\xFFz") == 2);               // a byte that is not UTF-8 counts one
}

TEST_CASE("a text table aligns a column holding combining marks and wide characters", "[render]") {
    dlsolve::Worksheet sheet;
    sheet.title = "t";
    dlsolve::Table table{{"name", "value"}, {false, true}, {}};
    table.rows.push_back({{"m\u0302", {}}, {"1", {}}});
    table.rows.push_back({{"\u7279", {}}, {"22", {}}});
    table.rows.push_back({{"abcd", {}}, {"333", {}}});
    sheet.sections.push_back({"s", {table}, {}});
    // Each row's value ends in the same display column.
    CHECK(dlsolve::render_text(sheet) ==
          "t\n\ns\n"
          "name  value\n"
          "===========\n"
          "m\u0302         1\n"
          "\u7279       22\n"
          "abcd    333\n"
          "===========\n");
}

#include "problem/error.h"

#include <fmt/format.h>
#include <utf8proc.h>

namespace dlsolve {

std::string printable_line(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    const auto* at = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
    auto left = static_cast<utf8proc_ssize_t>(text.size());
    while (left > 0) {
        utf8proc_int32_t code;
        const utf8proc_ssize_t length = utf8proc_iterate(at, left, &code);
        if (length < 0) {  // not UTF-8: the byte itself
            out += fmt::format("\\x{:02X}", *at);
            ++at, --left;
            continue;
        }
        const auto category = utf8proc_category(code);
        if (code == '\n' || code == '\r' || code == '\t') {
            out += ' ';
        } else if (category == UTF8PROC_CATEGORY_CC || category == UTF8PROC_CATEGORY_CF || category == UTF8PROC_CATEGORY_ZL ||
                   category == UTF8PROC_CATEGORY_ZP || category == UTF8PROC_CATEGORY_CO || category == UTF8PROC_CATEGORY_CN ||
                   (category == UTF8PROC_CATEGORY_ZS && code != ' ')) {
            out += fmt::format("\\u{{{:04X}}}", code);  // a zero-width space shows as \u{200B}
        } else {
            out.append(reinterpret_cast<const char*>(at), static_cast<size_t>(length));
        }
        at += length, left -= length;
    }
    return out;
}

}  // namespace dlsolve

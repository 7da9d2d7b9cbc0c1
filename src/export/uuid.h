// Identifiers derived from content, so an export is byte-identical run after run.
#pragma once

#include <string>

namespace dlsolve {

// SHA-1 of the bytes, as 40 lowercase hex digits (FIPS 180-4).
std::string sha1_hex(const std::string& bytes);

// A name-based UUID, version 5 (RFC 4122 §4.3): SHA-1 of the namespace's 16 bytes and
// the name, in the URL namespace 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
std::string uuid5(const std::string& name);

}  // namespace dlsolve

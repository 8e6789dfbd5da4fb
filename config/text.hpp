#pragma once
// Text that came from outside (a socket, a file, Redis, a sink) on its way
// into JSON, a frame or a log line. Everything Herald writes as JSON goes
// through json_text(), which cannot throw on bytes that are not UTF-8; every
// JSON document Herald reads goes through parse_json(), which refuses
// nesting deeper than the configured limit before nlohmann sees it (its
// serializer recurses once per level, so depth is a stack-size question).
#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// Strict UTF-8: no overlongs, surrogates or code points above U+10FFFF.
bool valid_utf8(std::string_view s);

// The longest prefix of `s` that is valid UTF-8.
std::string_view utf8_valid_prefix(std::string_view s);

// `s` with every byte that does not start a valid sequence replaced by U+FFFD.
std::string utf8_clean(std::string_view s);

// Lower-case hex digits of `n` bytes (two per byte).
std::string hex_text(const unsigned char* bytes, size_t n);

// Base64 in either alphabet (+/ or -_), padding optional; stops at '='.
// Empty on any other character.
std::string base64_decode(std::string_view in);
// Base64url without padding (RFC 4648 §5), as JOSE and Web Push write keys.
std::string base64url_encode(std::string_view raw);

// The non-empty parts of a comma-separated list ("a,,b" → a, b).
std::vector<std::string> comma_list(std::string_view s);

// At most `max_bytes` of `s`, cut at a character boundary and cleaned.
std::string utf8_cut(std::string_view s, size_t max_bytes);

// `s` with control characters (and backslash) written as \n, \r, \t, \\ or
// \xNN, so client text cannot start a new log line or forge one.
std::string escape_controls(std::string_view s);

// The compact JSON text of `j`; invalid UTF-8 in strings becomes U+FFFD.
std::string json_text(const nlohmann::json& j, int indent = -1);

// The process-wide nesting limit (server.max_json_depth), set once at start.
void set_max_json_depth(size_t depth);
size_t max_json_depth();

// True when no array/object in `text` nests deeper than `max_depth`
// (a linear scan that understands strings; says nothing about validity).
bool json_depth_within(std::string_view text, size_t max_depth);

// Parses `text`; a discarded value (is_discarded()) when it is not JSON or
// nests deeper than max_json_depth(). Never throws.
nlohmann::json parse_json(std::string_view text);

} // namespace herald

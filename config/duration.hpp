#pragma once
// Durations in config are strings such as "500ms", "30s", "5m", "1h".
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace herald::config {

using duration = std::chrono::milliseconds;

// Parses "<digits><unit>" with unit ms, s, m or h; nullopt on anything else.
std::optional<duration> parse_duration(std::string_view text);

// The shortest exact spelling of a duration in the largest whole unit ("5m", "1500ms").
std::string format_duration(duration d);

} // namespace herald::config

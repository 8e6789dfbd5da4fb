#pragma once
// A notify's "to" for its sink: a string for webhook and Telegram sinks; for
// a webpush sink the browser's push subscription (the object or its text).
#include "config/config.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace herald::net {

// `to` as the job keeps it; nullopt and a reason when it does not suit the sink.
std::optional<std::string> notify_recipient(const nlohmann::json& to,
                                            const config::sink_config& sink, std::string& error);

} // namespace herald::net

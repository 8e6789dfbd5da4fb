#pragma once
// JSON shapes shared by /api/v1/actors, /api/v1/queue/stats and the
// console's live feed.
#include "actors/actor_info.hpp"
#include "actors/queue_protocol.hpp"

#include <nlohmann/json.hpp>

namespace herald::net {

nlohmann::json actor_json(const actor_info& a);
nlohmann::json queue_stats_json(const queue_stats& st);

} // namespace herald::net

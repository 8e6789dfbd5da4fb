#include "net/monitor_json.hpp"

#include "config/time_format.hpp"

namespace herald::net {

using nlohmann::json;

json actor_json(const actor_info& a) {
  json j{{"name", a.name},
         {"kind", a.kind},
         {"parent", a.parent.empty() ? json(nullptr) : json(a.parent)},
         {"mailbox", a.mailbox},
         {"processed", a.processed},
         {"per_second", a.per_second},
         {"failures", a.failures},
         {"restarts", a.restarts},
         {"state", a.state},
         {"last_error", a.last_error.empty() ? json(nullptr) : json(a.last_error)}};
  if (a.kind == "session") {
    j["user"] = a.user;
    j["channels"] = a.channels;
    j["last_seen"] = a.last_seen ? json(rfc3339(*a.last_seen)) : json(nullptr);
    j["outbound"] = a.outbound;
  } else if (a.kind == "notifier" || a.kind == "queue") {
    j["in_hand"] = a.outbound; // jobs held (notifier: waiting + on the wire; queue: on notifiers)
  }
  return j;
}

json queue_stats_json(const queue_stats& st) {
  json sinks = json::array();
  for (auto& s : st.sinks)
    sinks.push_back({{"name", s.name},
                     {"breaker", s.breaker},
                     {"restarts", s.restarts},
                     {"failed", s.failed},
                     {"last_error", s.last_error}});
  return {{"waiting", st.now.waiting},
          {"active", st.now.active},
          {"delayed", st.now.delayed},
          {"completed", st.completed},
          {"failed", st.failed},
          {"dead", st.now.dead},
          {"dlq_refused", st.dlq_refused},
          {"expired", st.expired},
          {"sinks", sinks},
          {"subscriptions_gone", st.subscriptions_gone},
          {"escalations",
           {{"cancelled", st.escalations_cancelled}, {"notified", st.escalations_notified}}}};
}

} // namespace herald::net

#include "actors/notifier.hpp"
#include "actors/webhook_signature.hpp"

#include "actors/actor_info.hpp"
#include "actors/delivery_policy.hpp"
#include "actors/exception_text.hpp"
#include "actors/guarded.hpp"
#include "actors/queue_protocol.hpp"
#include "config/log.hpp"
#include "config/text.hpp"

#include "actors/clock.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <deque>
#include <unordered_map>

namespace herald {

namespace {

struct notifier_state {
  static inline const char* name = "notifier";
  notifier_init init;
  token_bucket bucket;
  circuit_breaker breaker;
  std::deque<persistence::job> waiting;
  std::unordered_map<std::string, persistence::job> on_wire;
  uint32_t capacity = 1;
  int64_t paused_until_ms = 0; // a 429 asked us to wait
  bool pump_scheduled = false;
  uint64_t failed = 0; // failed requests since start
  actor_meter meter;
};

using self_ptr = notifier_actor::stateful_pointer<notifier_state>;

void pump(self_ptr self);

void pump_later(self_ptr self, int64_t in_ms) {
  auto& st = self->state;
  if (st.pump_scheduled)
    return;
  st.pump_scheduled = true;
  self->delayed_send(self, std::chrono::milliseconds(std::max<int64_t>(1, in_ms)),
                     pump_atom::value);
}

void report(self_ptr self, persistence::job j, job_outcome outcome) {
  caf::anon_send(caf::actor_cast<queue_actor>(self->state.init.queue), done_atom::value,
                 self->state.init.sink.name, std::move(j), std::move(outcome));
}

void send_one(self_ptr self, persistence::job j) {
  auto& st = self->state;
  auto me = caf::actor_cast<notifier_actor>(self);
  auto id = j.id;
  st.init.http->post(request_for(st.init.sink, j, wall_ms() / 1000), [me, id](http_response r) {
    caf::anon_send(me, sent_atom::value, id, std::move(r));
  });
  st.on_wire.emplace(id, std::move(j));
}

// Sends what the bucket, the breaker and a 429 pause allow; asks the queue
// for more while there is room.
void pump(self_ptr self) {
  auto& st = self->state;
  auto now = wall_ms();
  while (!st.waiting.empty()) {
    if (now < st.paused_until_ms) {
      pump_later(self, st.paused_until_ms - now);
      break;
    }
    // After a failure, one request at a time until one succeeds: a failing
    // sink gets at most breaker_failures requests before the breaker opens.
    auto limit = st.breaker.consecutive_failures() > 0 ? 1u : st.capacity;
    if (st.on_wire.size() >= limit)
      break;
    if (!st.breaker.allow(now)) {
      if (st.breaker.state(now) == breaker_state::open) {
        // The sink is failing: its jobs wait in the queue, attempts kept,
        // until the breaker lets a probe through.
        auto wait = st.breaker.reopens_at_ms() - now;
        for (auto& j : st.waiting)
          report(self, std::move(j), {job_outcome::kind::held, "circuit breaker open", wait});
        st.waiting.clear();
        pump_later(self, wait);
      }
      break;
    }
    if (!st.bucket.take(now)) {
      st.breaker.release();
      pump_later(self, st.bucket.wait(now).count());
      break;
    }
    auto j = std::move(st.waiting.front());
    st.waiting.pop_front();
    send_one(self, std::move(j));
  }
  auto state = st.breaker.state(now);
  uint32_t room = 0;
  auto busy = uint32_t(st.on_wire.size() + st.waiting.size());
  auto limit = st.breaker.consecutive_failures() > 0 ? 1u : st.capacity;
  if (state == breaker_state::closed && now >= st.paused_until_ms)
    room = busy < limit ? limit - busy : 0;
  else if (state == breaker_state::half_open && busy == 0)
    room = 1; // the probe
  else if (state == breaker_state::open)
    pump_later(self, st.breaker.reopens_at_ms() - now);
  if (now < st.paused_until_ms)
    pump_later(self, st.paused_until_ms - now); // ask again when the 429 pause is over
  caf::anon_send(caf::actor_cast<queue_actor>(st.init.queue), want_atom::value, st.init.sink.name,
                 room, std::string(to_string(state)));
}

notifier_actor::behavior_type notifier_behavior(self_ptr self, notifier_init init) {
  auto& st = self->state;
  st.init = std::move(init);
  auto rate = double(std::max<int64_t>(1, st.init.sink.rate_per_sec));
  st.bucket = token_bucket(rate, wall_ms());
  st.breaker =
      circuit_breaker(uint32_t(st.init.sink.breaker_failures), st.init.sink.breaker_cooldown);
  st.capacity = uint32_t(std::clamp<int64_t>(st.init.sink.rate_per_sec, 1, 64));
  // A bug here ends this notifier only; the queue sees why and restarts it.
  self->set_exception_handler(
      [self](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
        auto what = exception_text(eptr);
        log::error("notifier " + self->state.init.sink.name, "failed: " + what);
        return caf::make_error(caf::sec::runtime_error, what);
      });
  pump(self);
  return {
      metered(self,
              [=](job_atom, persistence::job& j) {
                self->state.waiting.push_back(std::move(j));
                pump(self);
              }),
      metered(self,
              [=](sent_atom, const std::string& id, http_response& r) {
                auto& st = self->state;
                auto it = st.on_wire.find(id);
                if (it == st.on_wire.end())
                  return;
                auto j = std::move(it->second);
                st.on_wire.erase(it);
                auto now = wall_ms();
                auto outcome = classify(st.init.sink, r);
                switch (outcome.what) {
                  case job_outcome::kind::delivered:
                    st.breaker.on_success();
                    break;
                  case job_outcome::kind::rate_limited:
                    st.breaker.release();
                    st.paused_until_ms = now + outcome.retry_after_ms;
                    log::warn("notifier " + st.init.sink.name,
                              "rate limited by the sink for " +
                                  std::to_string(outcome.retry_after_ms) + " ms");
                    break;
                  default:
                    st.breaker.on_failure(now);
                    ++st.failed;
                    st.meter.last_error = outcome.error;
                    if (st.breaker.state(now) == breaker_state::open &&
                        st.breaker.consecutive_failures() > 0)
                      log::debug("notifier " + st.init.sink.name,
                                 "breaker open after: " + outcome.error);
                    break;
                }
                report(self, std::move(j), std::move(outcome));
                pump(self);
              }),
      metered(self,
              [=](pump_atom) {
                self->state.pump_scheduled = false;
                pump(self);
              }),
      metered(self,
              [=](info_atom) {
                auto& st = self->state;
                auto out = metered_info("notifier " + st.init.sink.name, "notifier", "queue",
                                        self->mailbox().size(), st.meter);
                out.failures = st.failed;
                out.restarts = st.init.restarts;
                out.state = std::string("breaker ") + to_string(st.breaker.state(wall_ms()));
                out.outbound = st.waiting.size() + st.on_wire.size();
                return out;
              }),
  };
}

} // namespace

job_outcome classify(const config::sink_config& sink, const http_response& r) {
  if (r.status >= 200 && r.status < 300)
    return {job_outcome::kind::delivered, {}, 0};
  if (r.status == 429) {
    int64_t after_s = 1;
    auto body = parse_json(r.body);
    if (body.is_object() && body.contains("parameters") && body["parameters"].is_object() &&
        body["parameters"].contains("retry_after") && body["parameters"]["retry_after"].is_number())
      after_s = body["parameters"]["retry_after"].get<int64_t>();
    else if (!r.retry_after.empty() &&
             r.retry_after.find_first_not_of("0123456789") == std::string::npos &&
             r.retry_after.size() < 7)
      after_s = std::stoll(r.retry_after);
    return {job_outcome::kind::rate_limited, "HTTP 429", std::max<int64_t>(1, after_s) * 1000};
  }
  if (r.status == 0)
    return {job_outcome::kind::failed, r.error.empty() ? "no answer" : utf8_clean(r.error), 0};
  auto error = "HTTP " + std::to_string(r.status);
  if (!r.body.empty())
    error += ": " + utf8_cut(r.body, 200);
  return {job_outcome::kind::failed, error, 0};
}

http_request request_for(const config::sink_config& sink, const persistence::job& j,
                         int64_t now_s) {
  http_request req;
  req.timeout = sink.timeout;
  auto data = parse_json(j.data);
  if (data.is_discarded())
    data = nlohmann::json::object();
  if (sink.kind == "telegram") {
    req.url = sink.base_url + "/bot" + sink.token + "/sendMessage";
    req.body = json_text(nlohmann::json{{"chat_id", j.to}, {"text", j.text}});
  } else {
    req.url = sink.url;
    req.body = json_text(nlohmann::json{{"job_id", j.id},
                                        {"sink", j.sink},
                                        {"to", j.to},
                                        {"text", j.text},
                                        {"data", data},
                                        {"attempt", j.attempts + 1}});
    req.headers.assign(sink.headers.begin(), sink.headers.end());
    if (!sink.secret.empty()) {
      auto signature = webhook_signature_headers(sink.secret, j.id, now_s, req.body);
      req.headers.insert(req.headers.end(), signature.begin(), signature.end());
    }
  }
  return req;
}

notifier_actor spawn_notifier(caf::local_actor* parent, notifier_init init) {
  return parent->spawn(notifier_behavior, std::move(init));
}

} // namespace herald

#include "actors/notifier.hpp"
#include "actors/webhook_signature.hpp"

#include "actors/actor_info.hpp"
#include "actors/continuation.hpp"
#include "actors/exception_text.hpp"
#include "actors/guarded.hpp"
#include "actors/queue_protocol.hpp"
#include "actors/sink_admission.hpp"
#include "config/log.hpp"
#include "config/text.hpp"

#include "actors/clock.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <deque>
#include <optional>
#include <unordered_map>
#include <utility>

namespace herald {

namespace {

using persistence::breaker_phase;
using persistence::send_result;

struct wire_job {
  persistence::job job;
  bool probe = false; // the breaker's half-open probe
};

struct notifier_state {
  static inline const char* name = "notifier";
  notifier_init init;
  persistence::sink_limits limits;
  bool shared = false;                  // the store keeps the limits for every node
  std::optional<local_admission> local; // otherwise: this process's, once loaded
  bool asking = false;                  // an admission is at the store
  bool store_failing = false;           // logged once per outage
  persistence::breaker_record breaker;  // as last known
  std::deque<persistence::job> waiting;
  std::unordered_map<std::string, wire_job> on_wire;
  uint32_t capacity = 1;
  int64_t paused_until_ms = 0;  // a 429 asked us to wait
  int64_t ask_again_ms = 0;     // the rate or the breaker said: not before this
  uint32_t granted = 0;         // sends granted and not used yet
  int64_t granted_until_ms = 0; // ... usable until then
  bool granted_probe = false;   // the next granted send is the breaker's probe
  bool pump_scheduled = false;
  uint64_t failed = 0; // failed requests since start
  actor_meter meter;
};

using self_ptr = notifier_actor::stateful_pointer<notifier_state>;

void pump(self_ptr self);
void tell_breaker(self_ptr self, send_result result, bool probe);

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

void send_one(self_ptr self, persistence::job j, bool probe) {
  auto& st = self->state;
  auto me = caf::actor_cast<notifier_actor>(self);
  auto id = j.id;
  auto now_s = wall_ms() / 1000;
  std::optional<http_request> req;
  std::string error;
  if (st.init.sink.kind == "webpush") {
    if (st.init.vapid)
      req = webpush_request(st.init.sink, *st.init.vapid, j, now_s, error);
    else
      error = "the sink has no VAPID key";
  } else {
    req = request_for(st.init.sink, j, now_s);
  }
  st.on_wire.emplace(id, wire_job{std::move(j), probe});
  if (!req) { // checked when the job was accepted, so only a changed sink gets here
    http_response failed;
    failed.error = error;
    caf::anon_send(me, sent_atom::value, id, std::move(failed));
    return;
  }
  st.init.http->post(std::move(*req), [me, id](http_response r) {
    caf::anon_send(me, sent_atom::value, id, std::move(r));
  });
}

uint32_t wire_limit(const notifier_state& st) {
  // After a failure, one request at a time until one succeeds: a failing
  // sink gets at most breaker_failures requests before the breaker opens.
  return st.breaker.failures > 0 ? 1u : st.capacity;
}

// Tells the queue how many more jobs this notifier can take now.
void tell_queue(self_ptr self) {
  auto& st = self->state;
  auto now = wall_ms();
  auto busy = uint32_t(st.on_wire.size() + st.waiting.size());
  auto limit = wire_limit(st);
  uint32_t room = 0;
  bool ready = st.shared || st.local;
  if (ready && now >= st.paused_until_ms) {
    if (st.breaker.phase == breaker_phase::closed)
      room = busy < limit ? limit - busy : 0;
    else if (now >= st.ask_again_ms && busy == 0)
      room = 1; // a probe, or a look at whether another node closed it
    else
      pump_later(self, st.ask_again_ms - now);
  }
  if (now < st.paused_until_ms)
    pump_later(self, st.paused_until_ms - now); // ask again when the 429 pause is over
  caf::anon_send(caf::actor_cast<queue_actor>(st.init.queue), want_atom::value, st.init.sink.name,
                 room, std::string(to_string(st.breaker.phase)));
}

// Sends waiting jobs while granted sends are left. Grants are used within
// one rate slot (20 ms) or dropped: they were counted when granted, and
// persistence/sink_limits.hpp's margin allows for that much.
void send_granted(self_ptr self) {
  auto& st = self->state;
  if (st.granted > 0 && wall_ms() >= st.granted_until_ms) {
    st.granted = 0;
    if (std::exchange(st.granted_probe, false)) // never sent: another may probe
      tell_breaker(self, send_result::neutral, true);
  }
  while (st.granted > 0 && !st.waiting.empty() && st.on_wire.size() < wire_limit(st)) {
    auto j = std::move(st.waiting.front());
    st.waiting.pop_front();
    --st.granted;
    send_one(self, std::move(j), std::exchange(st.granted_probe, false));
  }
}

// What the rate limit and the breaker allow now: the granted sends go at
// once; with none, the jobs wait here (or, past a closed breaker, back in
// the queue) until asking again makes sense.
void on_admission(self_ptr self, const persistence::admission& a) {
  auto& st = self->state;
  st.breaker = a.breaker;
  auto now = wall_ms();
  if (a.granted == 0) {
    // Another node may close a shared half-open breaker soon: look again within a second.
    auto wait = a.retry_in_ms;
    if (st.shared && a.breaker.phase == breaker_phase::half_open)
      wait = std::min<int64_t>(wait, 1000);
    st.ask_again_ms = now + wait;
    if (a.breaker.phase != breaker_phase::closed) {
      // The sink is failing: its jobs wait in the queue, attempts kept,
      // until the breaker lets a probe through.
      for (auto& j : st.waiting)
        report(self, std::move(j), {job_outcome::kind::held, "circuit breaker open", wait});
      st.waiting.clear();
    }
    pump_later(self, wait);
    return;
  }
  st.granted = a.granted;
  st.granted_until_ms = now + persistence::rate_slot_ms;
  st.granted_probe = a.probe;
  send_granted(self);
}

// Sends to ask for: the room on the wire, or only the jobs waiting when
// the rate is low (a grant unused is spent for every node).
uint32_t want_now(const notifier_state& st, uint32_t limit) {
  auto room = limit - uint32_t(st.on_wire.size());
  auto per_slot = uint64_t(st.limits.rate_per_sec) * uint64_t(persistence::rate_slot_ms) / 1000;
  auto ask = std::max<uint64_t>(st.waiting.size(), std::min<uint64_t>(per_slot, room));
  return uint32_t(std::min<uint64_t>(ask, room));
}

void ask_admission(self_ptr self, uint32_t want) {
  auto& st = self->state;
  if (!st.shared) {
    if (st.local)
      on_admission(self, st.local->acquire(want, wall_ms()));
    return;
  }
  st.asking = true;
  store_call(
      self, *st.init.store,
      [sink = st.init.sink.name, limits = st.limits, want](persistence::store& s) {
        return s.sink_acquire(sink, limits, want);
      },
      [self](persistence::admission a) {
        auto& st = self->state;
        st.asking = false;
        if (st.store_failing)
          log::info("notifier " + st.init.sink.name, "the shared rate limit answers again");
        st.store_failing = false;
        on_admission(self, a);
        tell_queue(self);
      },
      [self](const std::string& why) {
        auto& st = self->state;
        st.asking = false;
        // Unknown rate, unknown breaker: nothing goes out until the store answers.
        if (!st.store_failing)
          log::warn("notifier " + st.init.sink.name,
                    "the shared rate limit does not answer, sending nothing: " + why);
        st.store_failing = true;
        st.ask_again_ms = wall_ms() + 1000;
        pump_later(self, 1000);
      });
}

void save_breaker(self_ptr self, const persistence::breaker_record& b) {
  auto& st = self->state;
  if (!st.init.store)
    return;
  store_call(
      self, *st.init.store,
      [sink = st.init.sink.name, b](persistence::store& s) {
        s.breaker_save(sink, b);
        return true;
      },
      [](bool) {},
      [self](const std::string& why) {
        log::warn("notifier " + self->state.init.sink.name, "breaker state not saved: " + why);
      });
}

// What became of a sent request, for the breaker.
void tell_breaker(self_ptr self, send_result result, bool probe) {
  auto& st = self->state;
  if (!st.shared) {
    if (!st.local)
      return;
    auto before = st.local->breaker();
    st.breaker = st.local->report(result, probe, wall_ms()).breaker;
    if (st.breaker.phase != before.phase || st.breaker.failures != before.failures)
      save_breaker(self, st.breaker);
    return;
  }
  // Only what may change the shared breaker goes to the store.
  bool quiet = st.breaker.phase == breaker_phase::closed && st.breaker.failures == 0;
  if (!probe && ((result == send_result::delivered && quiet) || result == send_result::neutral))
    return;
  store_call(
      self, *st.init.store,
      [sink = st.init.sink.name, limits = st.limits, result, probe](persistence::store& s) {
        return s.sink_report(sink, limits, result, probe);
      },
      [self](persistence::admission a) {
        self->state.breaker = a.breaker;
        pump(self);
      },
      [self](const std::string& why) {
        log::warn("notifier " + self->state.init.sink.name,
                  "the shared breaker was not told of a result: " + why);
      });
}

// Asks for what the rate limit, the breaker and a 429 pause allow; tells
// the queue how much room there is.
void pump(self_ptr self) {
  auto& st = self->state;
  auto now = wall_ms();
  bool ready = st.shared || st.local;
  auto limit = wire_limit(st);
  if (ready && now >= st.paused_until_ms)
    send_granted(self);
  if (ready && !st.waiting.empty() && !st.asking && st.on_wire.size() < limit) {
    if (now < st.paused_until_ms)
      pump_later(self, st.paused_until_ms - now);
    else if (now < st.ask_again_ms)
      pump_later(self, st.ask_again_ms - now);
    else
      ask_admission(self, want_now(st, limit));
  }
  if (!st.asking)
    tell_queue(self);
}

void start(self_ptr self) {
  auto& st = self->state;
  auto& sink = st.init.sink;
  st.limits.rate_per_sec = uint32_t(std::clamp<int64_t>(sink.rate_per_sec, 1, 1'000'000));
  st.limits.breaker_failures = uint32_t(std::clamp<int64_t>(sink.breaker_failures, 1, 1'000'000));
  st.limits.cooldown_ms = sink.breaker_cooldown.count();
  // A probe whose answer never comes (its node died) stops holding the breaker.
  st.limits.probe_lease_ms = 2 * sink.timeout.count() + 1000;
  st.capacity = uint32_t(std::clamp<int64_t>(sink.rate_per_sec, 1, 64));
  st.shared = st.init.store && st.init.store->shares_sink_limits();
  if (st.shared || !st.init.store) {
    if (!st.shared)
      st.local.emplace(st.limits, wall_ms());
    pump(self);
    return;
  }
  // The breaker as the last process left it; the rate window starts full.
  store_call(
      self, *st.init.store,
      [sink = sink.name](persistence::store& s) { return s.breaker_load(sink); },
      [self](std::optional<persistence::breaker_record> saved) {
        auto& st = self->state;
        st.breaker = saved.value_or(persistence::breaker_record{});
        st.local.emplace(st.limits, wall_ms(), st.breaker);
        pump(self);
      },
      [self](const std::string& why) {
        auto& st = self->state;
        log::warn("notifier " + st.init.sink.name, "saved breaker state not read: " + why);
        st.local.emplace(st.limits, wall_ms());
        pump(self);
      });
}

send_result result_of(const job_outcome& outcome) {
  switch (outcome.what) {
    case job_outcome::kind::delivered:
    case job_outcome::kind::gone: // the push service answered: it works
      return send_result::delivered;
    case job_outcome::kind::failed:
      return send_result::failed;
    default:
      return send_result::neutral;
  }
}

notifier_actor::behavior_type notifier_behavior(self_ptr self, notifier_init init) {
  self->state.init = std::move(init);
  // A bug here ends this notifier only; the queue sees why and restarts it.
  self->set_exception_handler(
      [self](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
        auto what = exception_text(eptr);
        log::error("notifier " + self->state.init.sink.name, "failed: " + what);
        return caf::make_error(caf::sec::runtime_error, what);
      });
  start(self);
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
                auto sent = std::move(it->second);
                st.on_wire.erase(it);
                auto outcome = classify(st.init.sink, r);
                if (outcome.what == job_outcome::kind::rate_limited) {
                  st.paused_until_ms = wall_ms() + outcome.retry_after_ms;
                  log::warn("notifier " + st.init.sink.name,
                            "rate limited by the sink for " +
                                std::to_string(outcome.retry_after_ms) + " ms");
                } else if (outcome.what == job_outcome::kind::failed) {
                  ++st.failed;
                  st.meter.last_error = outcome.error;
                }
                tell_breaker(self, result_of(outcome), sent.probe);
                report(self, std::move(sent.job), std::move(outcome));
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
                out.state = std::string("breaker ") + to_string(st.breaker.phase);
                out.outbound = st.waiting.size() + st.on_wire.size();
                return out;
              }),
      metered(self, [=](continue_atom, continuation& k) { k(); }),
  };
}

} // namespace

job_outcome classify(const config::sink_config& sink, const http_response& r) {
  if (r.status >= 200 && r.status < 300)
    return {job_outcome::kind::delivered, {}, 0};
  // RFC 8030 §7.3: the subscription expired or was removed; it never comes back.
  if (sink.kind == "webpush" && (r.status == 404 || r.status == 410))
    return {job_outcome::kind::gone, "HTTP " + std::to_string(r.status) + ": subscription gone", 0};
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

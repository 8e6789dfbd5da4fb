#include "actors/queue.hpp"

#include "actors/clock.hpp"
#include "actors/delivery_policy.hpp"
#include "actors/event.hpp"
#include "actors/guarded.hpp"
#include "config/log.hpp"
#include "config/text.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <deque>
#include <random>
#include <set>
#include <unordered_map>

namespace herald {

namespace {

double jitter() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

struct sink_slot {
  config::sink_config config;
  notifier_actor notifier;
  std::deque<int64_t> restart_times; // within restart_period
  sink_status status;
  uint32_t wanted = 0;        // room the notifier has
  bool claiming = false;      // a claim is at the store
  bool claim_failing = false; // logged once per outage, not per poll
};

struct queue_state {
  static inline const char* name = "queue";
  queue_init init;
  std::map<std::string, sink_slot> sinks;
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  std::unordered_map<std::string, persistence::job> dispatched; // job id → the job, on a notifier
  queue_stats counters;
  actor_meter meter;
};

using self_ptr = queue_actor::stateful_pointer<queue_state>;

void claim(self_ptr self, const std::string& sink);

void start_notifier(self_ptr self, sink_slot& slot) {
  notifier_init ni;
  ni.sink = slot.config;
  ni.http = self->state.init.http;
  ni.queue = caf::actor_cast<caf::actor>(self);
  ni.restarts = slot.status.restarts;
  ni.store = self->state.init.store;
  if (auto it = self->state.init.vapid_keys.find(slot.config.name);
      it != self->state.init.vapid_keys.end())
    ni.vapid = it->second;
  slot.notifier = self->state.init.spawn_notifier(self, std::move(ni));
  self->monitor(slot.notifier);
  self->state.by_addr[slot.notifier.address()] = slot.config.name;
}

void log_store_failure(const std::string& what, const std::string& why) {
  log::error("queue", what + ": " + why);
}

// Into the DLQ after `attempts`; when it is full the job is kept, parked
// for max_delay with `kept_attempts`.
void bury(self_ptr self, persistence::job j, uint32_t attempts, uint32_t kept_attempts,
          const std::string& error) {
  auto& q = self->state.init.limits;
  auto now = wall_ms();
  auto dlq_max = uint64_t(q.dlq_max);
  auto parked_at = now + q.max_delay.count();
  store_call(
      self, *self->state.init.store,
      [id = j.id, attempts, kept_attempts, error, now, dlq_max, parked_at,
       hold = j.dedupe_key.empty() ? std::string()
                                   : persistence::dedupe_hold(j)](persistence::store& s) {
        if (s.job_bury(id, attempts, error, now, dlq_max)) {
          if (!hold.empty())
            s.idempotency_release(hold);
          return true;
        }
        s.job_reschedule(id, kept_attempts, parked_at, error);
        return false;
      },
      [self, j, attempts, error, now](bool buried) mutable {
        if (!buried) {
          ++self->state.counters.dlq_refused;
          log::error("queue", "DLQ full (queue.dlq_max): job " + j.id + " kept, retried later");
          return;
        }
        log::warn("queue", "job " + j.id + " for " + j.sink + " is dead after " +
                               std::to_string(attempts) + " attempts: " + error);
        j.attempts = attempts;
        j.last_error = error;
        j.failed_at_ms = now;
        j.state = persistence::job_state::dead;
        self->send(self->state.init.dlq, dead_atom::value, std::move(j));
      },
      [id = j.id](const std::string& why) { log_store_failure("job " + id + " not buried", why); });
}

// A failed attempt: back to the queue with backoff, or into the DLQ.
void retry_or_bury(self_ptr self, persistence::job j, const std::string& error) {
  auto& st = self->state;
  auto& q = st.init.limits;
  ++st.counters.failed;
  auto attempts = j.attempts + 1;
  auto now = wall_ms();
  if (attempts < uint32_t(q.max_attempts)) {
    auto at = now + retry_delay(attempts, q.base_delay, q.max_delay, jitter()).count();
    store_call(
        self, *st.init.store,
        [id = j.id, attempts, at, error](persistence::store& s) {
          s.job_reschedule(id, attempts, at, error);
          return true;
        },
        [](bool) {},
        [id = j.id](const std::string& why) {
          log_store_failure("job " + id + " not rescheduled", why);
        });
    return;
  }
  bury(self, std::move(j), attempts, attempts - 1, error);
}

// Puts a job back without spending an attempt (429, open breaker, crash).
void postpone(self_ptr self, const persistence::job& j, int64_t wait_ms, const std::string& why) {
  auto at = wall_ms() + std::max<int64_t>(wait_ms, 0);
  store_call(
      self, *self->state.init.store,
      [id = j.id, attempts = j.attempts, at, why](persistence::store& s) {
        s.job_reschedule(id, attempts, at, why);
        return true;
      },
      [](bool) {},
      [id = j.id](const std::string& e) { log_store_failure("job " + id + " not postponed", e); });
}

struct claimed_jobs {
  std::vector<persistence::job> jobs; // to send
  uint64_t cancelled = 0;             // escalations whose event was acked in time
  uint64_t notified = 0;              // escalations let go as notify jobs
};

// Escalation jobs are due when their `after` is over: one whose event has
// been acked (ack, or inbox/read past it) is finished unsent; the others go
// on as ordinary notify jobs. Decided once per escalation, in the store, so
// a restart or another node never decides it twice.
claimed_jobs settle_escalations(persistence::store& s, std::vector<persistence::job> jobs,
                                int64_t now) {
  claimed_jobs out;
  for (auto& j : jobs) {
    if (j.escalates.empty()) {
      out.jobs.push_back(std::move(j));
      continue;
    }
    auto record = s.escalation_get(j.escalates);
    if (!record)
      record = persistence::escalation_record{"pending", j.sink, j.id, j.run_at_ms, now};
    if (record->state == "pending") {
      int64_t acked_ms = 0;
      if (auto found = s.inbox_event(j.escalates, now))
        acked_ms = s.receipt(found->first, j.escalates, found->second.pos).acked_ms;
      record->state = acked_ms > 0 ? "cancelled" : "notified";
      record->at_ms = acked_ms > 0 ? acked_ms : now;
      s.escalation_put(j.escalates, *record);
      ++(acked_ms > 0 ? out.cancelled : out.notified);
    }
    if (record->state == "cancelled")
      s.job_finish(j.id);
    else
      out.jobs.push_back(std::move(j));
  }
  return out;
}

void claim(self_ptr self, const std::string& sink) {
  auto& st = self->state;
  auto it = st.sinks.find(sink);
  if (it == st.sinks.end())
    return;
  auto& slot = it->second;
  if (slot.claiming || slot.wanted == 0 || slot.status.failed)
    return;
  slot.claiming = true;
  auto n = size_t(slot.wanted);
  auto lease = st.init.limits.visibility_timeout.count();
  store_call(
      self, *st.init.store,
      [sink, n, lease](persistence::store& s) {
        auto now = wall_ms();
        return settle_escalations(s, s.job_claim(sink, n, now, now + lease), now);
      },
      [self, sink](claimed_jobs claimed) {
        auto& jobs = claimed.jobs;
        self->state.counters.escalations_cancelled += claimed.cancelled;
        self->state.counters.escalations_notified += claimed.notified;
        auto& slot = self->state.sinks[sink];
        slot.claiming = false;
        if (slot.claim_failing)
          log::info("queue", "jobs for " + sink + " can be claimed again");
        slot.claim_failing = false;
        auto now = wall_ms();
        for (auto& j : jobs) {
          if (j.expires_at_ms > 0 && now >= j.expires_at_ms) {
            // Late is worse than never (a one-time code, say): not sent.
            ++self->state.counters.expired;
            auto attempts = j.attempts;
            bury(self, std::move(j), attempts, attempts, "expired");
            continue;
          }
          self->state.dispatched[j.id] = j;
          self->send(slot.notifier, job_atom::value, std::move(j));
        }
        slot.wanted -= std::min<uint32_t>(slot.wanted, uint32_t(jobs.size()));
      },
      [self, sink](const std::string& why) {
        auto& slot = self->state.sinks[sink];
        slot.claiming = false;
        if (!slot.claim_failing)
          log::warn("queue", "jobs for " + sink +
                                 " cannot be claimed (retrying every poll_interval): " + why);
        slot.claim_failing = true;
      });
}

// A notifier ended (a failure; normal ends are exits): its jobs on the wire
// count a failed attempt, and it is restarted unless it failed more than
// queue.restart_intensity times within queue.restart_period.
void on_notifier_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto it = st.by_addr.find(dm.source);
  if (it == st.by_addr.end())
    return;
  auto sink = it->second;
  st.by_addr.erase(it);
  auto& slot = st.sinks[sink];
  auto reason = caf::to_string(dm.reason);
  slot.status.last_error = reason;
  // Its jobs on the wire may or may not have gone out: each counts as a
  // failed attempt and is retried (at least once).
  for (auto j = st.dispatched.begin(); j != st.dispatched.end();) {
    if (j->second.sink == sink) {
      retry_or_bury(self, j->second, "notifier failed: " + reason);
      j = st.dispatched.erase(j);
    } else {
      ++j;
    }
  }
  slot.wanted = 0;
  slot.claiming = false;
  auto now = wall_ms();
  slot.restart_times.push_back(now);
  while (!slot.restart_times.empty() &&
         slot.restart_times.front() < now - st.init.limits.restart_period.count())
    slot.restart_times.pop_front();
  if (slot.restart_times.size() > size_t(st.init.limits.restart_intensity)) {
    slot.status.failed = true;
    log::error("queue",
               "notifier " + sink + " failed " + std::to_string(slot.restart_times.size()) +
                   " times within queue.restart_period; not restarted, its jobs wait: " + reason);
    return;
  }
  ++slot.status.restarts;
  log::warn("queue", "notifier " + sink + " failed (" + reason + "), restarting");
  start_notifier(self, slot);
}

using notify_answer = caf::typed_response_promise<notify_result>;

// Stored first (and the opt-in checked in the same store call), answered
// 202 only then.
notify_answer on_notify(self_ptr self, persistence::job& j, bool require_opt_in) {
  auto promise = self->make_response_promise<notify_result>();
  auto id = j.id;
  auto sink = j.sink;
  store_call(
      self, *self->state.init.store,
      [j, require_opt_in](persistence::store& s) {
        if (require_opt_in && !s.optin_has(j.sink, j.to))
          return 403;
        s.job_add(j);
        if (!j.escalates.empty())
          s.escalation_put(j.escalates, {"pending", j.sink, j.id, j.run_at_ms, j.created_ms});
        return 202;
      },
      [self, promise, id, sink](int status) mutable {
        if (status == 403)
          promise.deliver(notify_result{403, {}, "recipient has not opted in to sink " + sink});
        else
          promise.deliver(notify_result{202, id, {}});
        claim(self, sink);
      },
      [promise, id](const std::string& why) mutable {
        log::error("queue", "job " + id + " not stored: " + why);
        promise.deliver(notify_result{503, {}, "job not stored: " + why});
      });
  return promise;
}

caf::typed_response_promise<bool> set_optin(self_ptr self, const std::string& sink,
                                            const std::string& to, bool on) {
  auto promise = self->make_response_promise<bool>();
  store_call(
      self, *self->state.init.store,
      [sink, to, on](persistence::store& s) {
        s.optin_set(sink, to, on);
        return true;
      },
      [promise](bool) mutable { promise.deliver(true); },
      [promise](const std::string&) mutable { promise.deliver(false); });
  return promise;
}

caf::typed_response_promise<queue_stats> answer_stats(self_ptr self) {
  auto promise = self->make_response_promise<queue_stats>();
  store_call(
      self, *self->state.init.store, [](persistence::store& s) { return s.job_count(wall_ms()); },
      [self, promise](persistence::job_counts c) mutable {
        auto out = self->state.counters;
        out.now = c;
        for (auto& [name, slot] : self->state.sinks)
          out.sinks.push_back(slot.status);
        promise.deliver(out);
      },
      [promise](const std::string& why) mutable {
        promise.deliver(caf::make_error(caf::sec::runtime_error, why));
      });
  return promise;
}

// A notifier has room for `room` jobs; its breaker is in state `breaker`.
void on_want(self_ptr self, const std::string& sink, uint32_t room, const std::string& breaker) {
  auto it = self->state.sinks.find(sink);
  if (it == self->state.sinks.end())
    return;
  it->second.wanted = room;
  if (it->second.status.breaker != breaker)
    log::info("queue", "sink " + sink + ": circuit breaker " + breaker);
  it->second.status.breaker = breaker;
  claim(self, sink);
}

void finish_job(self_ptr self, const persistence::job& j) {
  store_call(
      self, *self->state.init.store,
      [id = j.id, hold = j.dedupe_key.empty() ? std::string() : persistence::dedupe_hold(j)](
          persistence::store& s) {
        s.job_finish(id);
        if (!hold.empty()) // a later notify with the same dedupe_key is a new job
          s.idempotency_release(hold);
        return true;
      },
      [](bool) {},
      [id = j.id](const std::string& why) {
        log_store_failure("job " + id + " not finished", why);
      });
}

// A notifier's report on one job.
void on_done(self_ptr self, persistence::job& j, job_outcome& outcome) {
  auto& st = self->state;
  st.dispatched.erase(j.id);
  switch (outcome.what) {
    case job_outcome::kind::delivered:
      ++st.counters.completed;
      return finish_job(self, j);
    case job_outcome::kind::gone:
      ++st.counters.subscriptions_gone;
      log::info("queue", "job " + j.id + " for " + j.sink + " dropped: " + outcome.error);
      return finish_job(self, j);
    case job_outcome::kind::failed:
      return retry_or_bury(self, std::move(j), outcome.error);
    case job_outcome::kind::rate_limited:
    case job_outcome::kind::held:
      return postpone(self, j, outcome.retry_after_ms, outcome.error);
  }
}

actor_info info_of(self_ptr self) {
  auto& st = self->state;
  auto out = metered_info("queue", "queue", "", self->mailbox().size(), st.meter);
  out.failures = st.counters.failed;
  uint64_t failed_sinks = 0;
  for (auto& [name, slot] : st.sinks) {
    out.restarts += slot.status.restarts;
    failed_sinks += slot.status.failed;
    if (!slot.status.last_error.empty())
      out.last_error = name + ": " + slot.status.last_error;
  }
  out.state = failed_sinks ? std::to_string(failed_sinks) + " sink(s) failed" : "running";
  out.outbound = st.dispatched.size();
  return out;
}

std::vector<notifier_actor> live_notifiers(self_ptr self) {
  std::vector<notifier_actor> out;
  for (auto& [name, slot] : self->state.sinks)
    if (!slot.status.failed && slot.notifier)
      out.push_back(slot.notifier);
  return out;
}

void on_tick(self_ptr self) {
  for (auto& [name, slot] : self->state.sinks)
    claim(self, name);
  self->delayed_send(self, self->state.init.limits.poll_interval, tick_atom::value);
}

queue_actor::behavior_type queue_behavior(self_ptr self, queue_init init) {
  auto& st = self->state;
  st.init = std::move(init);
  for (auto& s : st.init.sinks) {
    auto& slot = st.sinks[s.name];
    slot.config = s;
    slot.status.name = s.name;
    start_notifier(self, slot);
  }
  self->set_down_handler([self](const caf::down_msg& dm) { on_notifier_down(self, dm); });
  // The notifiers go with their supervisor.
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    for (auto& [name, slot] : self->state.sinks)
      if (slot.notifier)
        self->send_exit(slot.notifier, msg.reason);
    self->quit(msg.reason);
  });
  self->delayed_send(self, st.init.limits.poll_interval, tick_atom::value);
  using optin_answer = caf::typed_response_promise<bool>;
  using stats_answer = caf::typed_response_promise<queue_stats>;
  return {
      guarded(self,
              [=](notify_atom, persistence::job& j, bool require_opt_in) -> notify_answer {
                return on_notify(self, j, require_opt_in);
              }),
      guarded(self,
              [=](optin_atom, const std::string& sink, const std::string& to,
                  bool on) -> optin_answer { return set_optin(self, sink, to, on); }),
      guarded(self, [=](stats_atom) -> stats_answer { return answer_stats(self); }),
      guarded(self, [=](want_atom, const std::string& sink, uint32_t room,
                        const std::string& breaker) { on_want(self, sink, room, breaker); }),
      guarded(self, [=](done_atom, const std::string&, persistence::job& j,
                        job_outcome& outcome) { on_done(self, j, outcome); }),
      guarded(self, [=](info_atom) -> caf::result<actor_info> { return info_of(self); }),
      guarded(self,
              [=](actors_atom) -> caf::result<std::vector<notifier_actor>> {
                return live_notifiers(self);
              }),
      guarded(self, [=](wake_atom, const std::string& sink) { claim(self, sink); }),
      guarded(self, [=](tick_atom) { on_tick(self); }),
      guarded(self, [=](continue_atom, continuation& k) { k(); }),
  };
}

struct dlq_state {
  static inline const char* name = "dlq";
  std::shared_ptr<persistence::store_worker> store;
  std::function<void(const std::string&, const std::string&)> alert;
  queue_actor queue;
  actor_meter meter;
};

using dlq_ptr = dlq_actor::stateful_pointer<dlq_state>;

dlq_actor::behavior_type
dlq_behavior(dlq_ptr self, std::shared_ptr<persistence::store_worker> store,
             std::function<void(const std::string&, const std::string&)> alert) {
  self->state.store = std::move(store);
  self->state.alert = std::move(alert);
  return {
      guarded(self,
              [=](list_atom, uint64_t limit,
                  uint64_t offset) -> caf::typed_response_promise<std::vector<persistence::job>> {
                auto promise = self->make_response_promise<std::vector<persistence::job>>();
                store_call(
                    self, *self->state.store,
                    [limit, offset](persistence::store& s) {
                      return s.dlq_list(size_t(limit), size_t(offset));
                    },
                    [promise](std::vector<persistence::job> jobs) mutable {
                      promise.deliver(std::move(jobs));
                    },
                    [promise](const std::string& why) mutable {
                      promise.deliver(caf::make_error(caf::sec::runtime_error, why));
                    });
                return promise;
              }),
      guarded(self,
              [=](retry_atom, const std::string& id) -> caf::typed_response_promise<bool> {
                auto promise = self->make_response_promise<bool>();
                store_call(
                    self, *self->state.store,
                    [id](persistence::store& s) { return s.dlq_retry(id, wall_ms()); },
                    [self, promise](std::optional<persistence::job> j) mutable {
                      if (j && self->state.queue)
                        self->send(self->state.queue, wake_atom::value, j->sink);
                      promise.deliver(bool(j));
                    },
                    [promise](const std::string& why) mutable {
                      promise.deliver(caf::make_error(caf::sec::runtime_error, why));
                    });
                return promise;
              }),
      guarded(self,
              [=](delete_atom, const std::string& id) -> caf::typed_response_promise<bool> {
                auto promise = self->make_response_promise<bool>();
                store_call(
                    self, *self->state.store,
                    [id](persistence::store& s) { return s.dlq_delete(id); },
                    [promise](bool gone) mutable { promise.deliver(gone); },
                    [promise](const std::string& why) mutable {
                      promise.deliver(caf::make_error(caf::sec::runtime_error, why));
                    });
                return promise;
              }),
      guarded(self,
              [=](dead_atom, persistence::job& j) {
                auto data = nlohmann::json{{"job_id", j.id},
                                           {"sink", j.sink},
                                           {"to", j.to},
                                           {"attempts", j.attempts},
                                           {"last_error", j.last_error},
                                           {"failed_at_ms", j.failed_at_ms}};
                if (self->state.alert)
                  self->state.alert("dlq.job_dead", json_text(data));
              }),
      guarded(self,
              [=](info_atom) -> caf::result<actor_info> {
                auto& st = self->state;
                auto out = metered_info("dlq", "dlq", "", self->mailbox().size(), st.meter);
                out.state = "running";
                return out;
              }),
      guarded(self, [=](join_atom, queue_actor& queue) { self->state.queue = queue; }),
      guarded(self, [=](continue_atom, continuation& k) { k(); }),
  };
}

} // namespace

void set_dlq_queue(dlq_actor dlq, queue_actor queue) {
  caf::anon_send(dlq, join_atom::value, std::move(queue));
}

queue_actor spawn_queue(caf::actor_system& sys, queue_init init) {
  return sys.spawn(queue_behavior, std::move(init));
}

dlq_actor spawn_dlq(caf::actor_system& sys, std::shared_ptr<persistence::store_worker> store,
                    std::function<void(const std::string&, const std::string&)> alert) {
  return sys.spawn(dlq_behavior, std::move(store), std::move(alert));
}

} // namespace herald

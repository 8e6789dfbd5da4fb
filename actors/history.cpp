#include "actors/history.hpp"

#include "actors/append_tickets.hpp"
#include "actors/clock.hpp"
#include "actors/guarded.hpp"
#include "config/log.hpp"
#include "persistence/store_worker.hpp"

#include <caf/all.hpp>

#include <unordered_map>

namespace herald {

namespace {

// Channels whose kept size the node reports (the console's view); past it
// the least recently written is forgotten.
constexpr size_t tracked_channels_max = 1000;
// Events a replay may hold beyond history_size (what Redis's MAXLEN ~ keeps over).
constexpr size_t replay_slack = 1000;

struct history_state {
  static inline const char* name = "history";
  std::shared_ptr<persistence::store_worker> worker;
  std::shared_ptr<const channel_rules> rules;
  append_tickets appends;
  history_stats stats;
  // channel → (events kept, ticket of its last write)
  std::unordered_map<std::string, std::pair<uint64_t, uint64_t>> kept;
  actor_meter meter;
};

using self_ptr = history_actor::stateful_pointer<history_state>;

void note_kept(history_state& st, const std::string& channel, uint64_t offset, uint64_t size,
               uint64_t ticket) {
  st.kept[channel] = {std::min(offset, size), ticket};
  if (st.kept.size() <= tracked_channels_max)
    return;
  auto oldest = st.kept.begin();
  for (auto it = st.kept.begin(); it != st.kept.end(); ++it)
    if (it->second.second < oldest->second.second)
      oldest = it;
  st.kept.erase(oldest);
}

// Into the store through the worker; answered once the store thread is done
// (stored_atom brings the answer back here, in order).
caf::typed_response_promise<event_frame> append(self_ptr self, const std::string& channel,
                                                event_frame& ev) {
  auto& st = self->state;
  auto promise = self->make_response_promise<event_frame>();
  auto ticket = st.appends.open(promise);
  auto rule = st.rules->find(channel).history;
  auto at = std::make_shared<persistence::history_position>();
  auto me = caf::actor_cast<history_actor>(self);
  auto kept = ev.data;
  bool posted = st.worker->post(
      {[=](persistence::store& s) {
         *at = s.history_append(channel, kept->id, kept->tail, wall_ms(), rule);
       },
       [=](bool ok, const std::string& error) {
         if (!ok)
           log::warn("history", "event " + kept->id + " of " + channel + " not kept: " + error);
         caf::anon_send(me, stored_atom::value, ticket,
                        ok ? in_history(event_frame{kept}, channel, *at) : event_frame{kept});
       }});
  if (!posted) {
    ++st.stats.append_failures;
    log::warn("history", "store queue full: event " + ev.id() + " of " + channel + " not kept");
    st.appends.close(ticket, std::move(ev));
  }
  return promise;
}

void on_stored(self_ptr self, uint64_t ticket, event_frame& ev) {
  auto& st = self->state;
  if (ev.offset() > 0) {
    ++st.stats.appended;
    note_kept(st, ev.data->channel, ev.offset(), st.rules->find(ev.data->channel).history.size,
              ticket);
  } else {
    ++st.stats.append_failures;
  }
  st.appends.close(ticket, std::move(ev));
}

void pass_on(self_ptr self, channel_recovery& r, const session_actor& who) {
  if (r.since.given)
    ++(r.recovered ? self->state.stats.recovered : self->state.stats.not_recovered);
  self->send(who, history_atom::value, std::move(r));
}

// Reads the channel on the store thread; the result comes back here (to be
// counted) and goes on to the session.
void load(self_ptr self, const std::string& channel, const history_since& since,
          const session_actor& who) {
  auto& st = self->state;
  auto rule = st.rules->find(channel).history;
  auto page = std::make_shared<persistence::history_page>();
  auto me = caf::actor_cast<history_actor>(self);
  // Without since nothing is replayed: only where the channel is now.
  auto after = since.given ? since.at.offset : UINT64_MAX;
  // Redis's MAXLEN ~ may keep more than size; a read cut short does not recover.
  size_t limit = since.given ? rule.size + replay_slack : 0;
  bool posted = st.worker->post(
      {[=](persistence::store& s) {
         *page =
             s.history_read(channel, std::min<uint64_t>(after, INT64_MAX), limit, wall_ms(), rule);
       },
       [=](bool ok, const std::string& error) {
         channel_recovery r;
         r.channel = channel;
         r.since = since;
         r.failed = !ok;
         if (!ok) {
           log::warn("history", "history of " + channel + " not read: " + error);
         } else {
           r.now = {page->top, page->epoch};
           r.recovered = since.given && persistence::recovers(since.at, *page);
           // Offsets of another epoch mean nothing here: nothing is replayed.
           if (since.given && since.at.epoch == page->epoch)
             for (auto& item : page->items)
               r.events.push_back(from_history(channel, page->epoch, std::move(item)));
         }
         caf::anon_send(me, history_atom::value, std::move(r), who);
       }});
  if (!posted) {
    log::warn("history", "store queue full: history of " + channel + " not read");
    channel_recovery r;
    r.channel = channel;
    r.since = since;
    r.failed = true;
    pass_on(self, r, who);
  }
}

history_stats stats_of(self_ptr self) {
  auto out = self->state.stats;
  for (auto& [channel, kept] : self->state.kept)
    out.channels.emplace_back(channel, kept.first);
  return out;
}

actor_info info_of(self_ptr self) {
  auto& st = self->state;
  auto out = metered_info("history", "history", "", self->mailbox().size(), st.meter);
  out.failures = st.stats.append_failures;
  out.state = st.worker->healthy() ? "running" : "store failing";
  return out;
}

history_actor::behavior_type history_behavior(self_ptr self,
                                              std::shared_ptr<persistence::store_worker> worker,
                                              std::shared_ptr<const channel_rules> rules) {
  self->state.worker = std::move(worker);
  self->state.rules = std::move(rules);
  using append_answer = caf::typed_response_promise<event_frame>;
  return {
      guarded(self,
              [=](append_atom, const std::string& channel, event_frame& ev) -> append_answer {
                return append(self, channel, ev);
              }),
      guarded(self,
              [=](stored_atom, uint64_t ticket, event_frame& ev) { on_stored(self, ticket, ev); }),
      guarded(self, [=](load_atom, const std::string& channel, const history_since& since,
                        session_actor& who) { load(self, channel, since, who); }),
      guarded(self, [=](history_atom, channel_recovery& r,
                        session_actor& who) { pass_on(self, r, who); }),
      guarded(self, [=](info_atom) -> caf::result<actor_info> { return info_of(self); }),
      guarded(self, [=](stats_atom) -> caf::result<history_stats> { return stats_of(self); }),
  };
}

} // namespace

history_actor spawn_history(caf::actor_system& sys,
                            std::shared_ptr<persistence::store_worker> worker,
                            std::shared_ptr<const channel_rules> rules) {
  return sys.spawn(history_behavior, std::move(worker), std::move(rules));
}

} // namespace herald

#include "actors/inbox.hpp"

#include "config/log.hpp"
#include "persistence/store_worker.hpp"

#include "actors/append_tickets.hpp"
#include "actors/clock.hpp"
#include "actors/guarded.hpp"

#include <caf/all.hpp>

#include <unordered_map>

namespace herald {

namespace {

// Cursor moves are coalesced per user and written this often at most: a
// chatty user costs one store write per interval, not one per event.
constexpr auto cursor_flush_every = std::chrono::milliseconds(50);
constexpr auto expire_every = std::chrono::seconds(60);

struct inbox_state {
  static inline const char* name = "inbox";
  std::shared_ptr<persistence::store_worker> worker;
  append_tickets appends;
  // Batches waiting for the store thread, by ticket.
  std::unordered_map<uint64_t, caf::typed_response_promise<std::vector<event_frame>>> batches;
  uint64_t next_batch = 1;
  std::unordered_map<std::string, persistence::inbox_pos> dirty_cursors;
  // Acks and deliveries wait with the cursors and go in the same store job.
  std::unordered_map<std::string, std::pair<persistence::inbox_pos, int64_t>> dirty_acks;
  // Sessions that had each event written since the last flush: one store
  // write per event, with at most receipt_deliveries_max sessions.
  std::unordered_map<std::string, std::vector<persistence::receipt_record::delivery>> deliveries;
  size_t deliveries_waiting = 0;
  std::string node; // named in receipts
  bool flush_scheduled = false;
  uint64_t store_failures = 0; // appends that were not stored (shown as failures)
  actor_meter meter;
};

using self_ptr = inbox_actor::stateful_pointer<inbox_state>;

void flush_cursors(self_ptr self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.dirty_cursors.empty() && st.dirty_acks.empty() && st.deliveries.empty())
    return;
  auto cursors = std::make_shared<std::unordered_map<std::string, persistence::inbox_pos>>(
      std::move(st.dirty_cursors));
  auto acks = std::make_shared<decltype(st.dirty_acks)>(std::move(st.dirty_acks));
  auto deliveries = std::make_shared<decltype(st.deliveries)>(std::move(st.deliveries));
  st.dirty_cursors.clear();
  st.dirty_acks.clear();
  st.deliveries.clear();
  st.deliveries_waiting = 0;
  bool posted = st.worker->post({[cursors, acks, deliveries](persistence::store& s) {
                                   for (auto& [user, pos] : *cursors)
                                     s.cursor_advance(user, pos);
                                   for (auto& [user, ack] : *acks) {
                                     s.cursor_advance(user, ack.first);
                                     s.receipt_acked(user, ack.first, ack.second);
                                   }
                                   for (auto& [event_id, sessions] : *deliveries)
                                     s.receipt_delivered(event_id, sessions);
                                 },
                                 [](bool ok, const std::string& error) {
                                   if (!ok)
                                     log::warn("inbox", "cursor write failed: " + error);
                                 }});
  if (!posted)
    log::warn("inbox", "store queue full: " + std::to_string(cursors->size() + acks->size()) +
                           " cursor moves not written (events may be delivered again)");
}

void schedule_flush(self_ptr self) {
  auto& st = self->state;
  if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    self->delayed_send(self, cursor_flush_every, flush_atom::value);
  }
}

// Deliveries waiting at most: past it they go to the store at once.
constexpr size_t deliveries_max = 4096;

void note_deliveries(self_ptr self, const std::string& session, std::vector<std::string>& ids) {
  auto& st = self->state;
  auto now = wall_ms();
  for (auto& id : ids) {
    auto& sessions = st.deliveries[id];
    if (sessions.size() < persistence::receipt_deliveries_max) {
      sessions.push_back({session, st.node, now});
      ++st.deliveries_waiting;
    }
  }
  if (st.deliveries_waiting >= deliveries_max)
    flush_cursors(self);
  else
    schedule_flush(self);
}

void note_ack(self_ptr self, const std::string& user, persistence::inbox_pos pos) {
  auto& ack = self->state.dirty_acks[user];
  if (ack.first < pos)
    ack = {pos, wall_ms()};
  schedule_flush(self);
}

// Into the store through the worker; answered when the store thread is done
// (stored_atom carries the answer back into this actor, in order).
caf::typed_response_promise<event_frame> append(self_ptr self, const std::string& user,
                                                event_frame& ev) {
  auto& st = self->state;
  auto promise = self->make_response_promise<event_frame>();
  auto ticket = st.appends.open(promise);
  auto pos = std::make_shared<persistence::inbox_pos>();
  auto me = caf::actor_cast<inbox_actor>(self);
  auto stored = ev.data;
  bool posted = st.worker->post(
      {[=](persistence::store& s) {
         *pos = s.inbox_append(user, stored->id, stored->tail, wall_ms());
       },
       [=](bool ok, const std::string& error) {
         if (!ok)
           log::warn("inbox", "event " + stored->id + " for " + user + " not stored: " + error);
         caf::anon_send(me, stored_atom::value, ticket,
                        ok ? event_frame{stored}.stored_at(*pos) : event_frame{stored});
       }});
  if (!posted) {
    ++st.store_failures;
    log::warn("inbox", "store queue full: event " + ev.id() + " for " + user + " not stored");
    st.appends.close(ticket, std::move(ev));
  }
  return promise;
}

// A publish batch's user events: one store job, so one transaction.
caf::typed_response_promise<std::vector<event_frame>> append_batch(self_ptr self,
                                                                   std::vector<user_event>& items) {
  auto& st = self->state;
  auto promise = self->make_response_promise<std::vector<event_frame>>();
  auto ticket = st.next_batch++;
  st.batches.emplace(ticket, promise);
  auto kept = std::make_shared<std::vector<user_event>>(std::move(items));
  auto positions = std::make_shared<std::vector<persistence::inbox_pos>>();
  auto me = caf::actor_cast<inbox_actor>(self);
  auto answer = [kept, positions](bool ok) {
    std::vector<event_frame> out;
    out.reserve(kept->size());
    for (size_t i = 0; i < kept->size(); ++i) {
      auto& ev = (*kept)[i].second;
      out.push_back(ok ? event_frame{ev.data}.stored_at((*positions)[i]) : event_frame{ev.data});
    }
    return out;
  };
  bool posted = st.worker->post(
      {[=](persistence::store& s) {
         auto now = wall_ms();
         for (auto& [user, ev] : *kept)
           positions->push_back(s.inbox_append(user, ev.data->id, ev.data->tail, now));
       },
       [=](bool ok, const std::string& error) {
         if (!ok)
           log::warn("inbox",
                     "a batch of " + std::to_string(kept->size()) + " events not stored: " + error);
         caf::anon_send(me, stored_atom::value, ticket, answer(ok));
       }});
  if (!posted) {
    log::warn("inbox", "store queue full: a batch of " + std::to_string(kept->size()) +
                           " events not stored");
    st.batches.erase(ticket);
    promise.deliver(answer(false));
  }
  return promise;
}

void on_batch_stored(self_ptr self, uint64_t ticket, std::vector<event_frame>& events) {
  auto& st = self->state;
  auto it = st.batches.find(ticket);
  if (it == st.batches.end())
    return;
  for (auto& ev : events)
    st.store_failures += !ev.stored();
  it->second.deliver(std::move(events));
  st.batches.erase(it);
}

void on_stored(self_ptr self, uint64_t ticket, event_frame& ev) {
  auto& st = self->state;
  if (!ev.stored())
    ++st.store_failures;
  st.appends.close(ticket, std::move(ev));
}

// The user's pending events, straight from the store thread to the session:
// one message, no reply bookkeeping in either actor.
void load(self_ptr self, const std::string& user, const std::string& after_event,
          const session_actor& who) {
  auto& st = self->state;
  // Cursor moves still coalescing go first (the worker keeps order), so a
  // session that starts right after another got an event does not get it again.
  if (st.dirty_cursors.count(user) || st.dirty_acks.count(user))
    flush_cursors(self);
  auto items = std::make_shared<std::vector<persistence::inbox_item>>();
  bool posted = st.worker->post(
      {[=](persistence::store& s) { *items = s.inbox_pending(user, wall_ms(), after_event); },
       [=](bool ok, const std::string& error) {
         std::vector<event_frame> out;
         if (ok) {
           out.reserve(items->size());
           for (auto& item : *items)
             out.push_back(restore_event(std::move(item.event_id), std::move(item.tail), item.pos));
         } else {
           log::warn("inbox", "inbox of " + user + " not read: " + error);
         }
         caf::anon_send(who, replay_atom::value, std::move(out));
       }});
  if (!posted) {
    log::warn("inbox", "store queue full: inbox of " + user + " not read");
    self->send(who, replay_atom::value, std::vector<event_frame>{});
  }
}

// Cursor moves coalesce for cursor_flush_every, then go to the store at once.
void move_cursor(self_ptr self, const std::string& user, persistence::inbox_pos pos) {
  auto& st = self->state;
  auto& c = st.dirty_cursors[user];
  c = std::max(c, pos);
  schedule_flush(self);
}

actor_info info_of(self_ptr self) {
  auto& st = self->state;
  auto out = metered_info("inbox", "inbox", "", self->mailbox().size(), st.meter);
  out.failures = st.store_failures;
  out.state = st.worker->healthy() ? "running" : "store failing";
  return out;
}

void expire_old(self_ptr self) {
  self->state.worker->post({[](persistence::store& s) { s.expire(wall_ms()); },
                            [](bool ok, const std::string& error) {
                              if (!ok)
                                log::warn("inbox", "expiring old events failed: " + error);
                            }});
  self->delayed_send(self, expire_every, tick_atom::value);
}

inbox_actor::behavior_type
inbox_behavior(self_ptr self, std::shared_ptr<persistence::store_worker> worker, std::string node) {
  self->state.worker = std::move(worker);
  self->state.node = std::move(node);
  self->delayed_send(self, expire_every, tick_atom::value);
  // Cursor moves still coalescing are written before the actor goes.
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    flush_cursors(self);
    self->quit(msg.reason);
  });
  using append_answer = caf::typed_response_promise<event_frame>;
  return {
      guarded(self,
              [=](append_atom, const std::string& user, event_frame& ev) -> append_answer {
                return append(self, user, ev);
              }),
      guarded(self,
              [=](batch_atom, std::vector<user_event>& items)
                  -> caf::typed_response_promise<std::vector<event_frame>> {
                return append_batch(self, items);
              }),
      guarded(self,
              [=](stored_atom, uint64_t ticket, event_frame& ev) { on_stored(self, ticket, ev); }),
      guarded(self,
              [=](stored_atom, uint64_t ticket, std::vector<event_frame>& events) {
                on_batch_stored(self, ticket, events);
              }),
      guarded(self, [=](load_atom, const std::string& user, const std::string& after_event,
                        session_actor& who) { load(self, user, after_event, who); }),
      guarded(self, [=](cursor_atom, const std::string& user,
                        persistence::inbox_pos pos) { move_cursor(self, user, pos); }),
      guarded(self, [=](ack_atom, const std::string& user,
                        persistence::inbox_pos pos) { note_ack(self, user, pos); }),
      guarded(self, [=](receipt_atom, const std::string& session,
                        std::vector<std::string>& ids) { note_deliveries(self, session, ids); }),
      guarded(self, [=](info_atom) -> caf::result<actor_info> { return info_of(self); }),
      guarded(self, [=](flush_atom) { flush_cursors(self); }),
      guarded(self, [=](tick_atom) { expire_old(self); }),
  };
}

} // namespace

inbox_actor spawn_inbox(caf::actor_system& sys, std::shared_ptr<persistence::store_worker> worker,
                        std::string node) {
  return sys.spawn(inbox_behavior, std::move(worker), std::move(node));
}

} // namespace herald

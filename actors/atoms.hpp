#pragma once
// Message tags of Herald's actors. A CAF 0.17 atom is its text (at most 10
// characters), so these names must not collide with CAF's own by accident.
#include <caf/atom.hpp>

namespace herald {

using connect_atom = caf::atom_constant<caf::atom("h_connect")>;
using publish_atom = caf::atom_constant<caf::atom("h_publish")>;
using stats_atom = caf::atom_constant<caf::atom("h_stats")>;
using presence_atom = caf::atom_constant<caf::atom("h_presence")>;
using join_atom = caf::atom_constant<caf::atom("h_join")>;
using leave_atom = caf::atom_constant<caf::atom("h_leave")>;
using touch_atom = caf::atom_constant<caf::atom("h_touch")>;
using status_atom = caf::atom_constant<caf::atom("h_status")>;
using evicted_atom = caf::atom_constant<caf::atom("h_evicted")>;
using tick_atom = caf::atom_constant<caf::atom("h_tick")>;
using shutdown_atom = caf::atom_constant<caf::atom("h_shutdown")>;
using kick_atom = caf::atom_constant<caf::atom("h_kick")>;
using inbound_atom = caf::atom_constant<caf::atom("h_inbound")>;
using event_atom = caf::atom_constant<caf::atom("h_event")>;
using heartbeat_atom = caf::atom_constant<caf::atom("h_beat")>;
using attach_atom = caf::atom_constant<caf::atom("h_attach")>;
using detach_atom = caf::atom_constant<caf::atom("h_detach")>;
using expire_atom = caf::atom_constant<caf::atom("h_expire")>;
using drain_atom = caf::atom_constant<caf::atom("h_drain")>;
using drained_atom = caf::atom_constant<caf::atom("h_drained")>;
using trim_atom = caf::atom_constant<caf::atom("h_trim")>;

using append_atom = caf::atom_constant<caf::atom("h_append")>;
using load_atom = caf::atom_constant<caf::atom("h_load")>;
using cursor_atom = caf::atom_constant<caf::atom("h_cursor")>;
using stored_atom = caf::atom_constant<caf::atom("h_stored")>;
using replay_atom = caf::atom_constant<caf::atom("h_replay")>;
using flush_atom = caf::atom_constant<caf::atom("h_flush")>;
using ack_atom = caf::atom_constant<caf::atom("h_ack")>;
using continue_atom = caf::atom_constant<caf::atom("h_cont")>;
using notify_atom = caf::atom_constant<caf::atom("h_notify")>;
using job_atom = caf::atom_constant<caf::atom("h_job")>;
using sent_atom = caf::atom_constant<caf::atom("h_sent")>;
using pump_atom = caf::atom_constant<caf::atom("h_pump")>;
using want_atom = caf::atom_constant<caf::atom("h_want")>;
using done_atom = caf::atom_constant<caf::atom("h_done")>;
using dead_atom = caf::atom_constant<caf::atom("h_dead")>;
using list_atom = caf::atom_constant<caf::atom("h_list")>;
using retry_atom = caf::atom_constant<caf::atom("h_retry")>;
using delete_atom = caf::atom_constant<caf::atom("h_delete")>;
using wake_atom = caf::atom_constant<caf::atom("h_wake")>;
using optin_atom = caf::atom_constant<caf::atom("h_optin")>;
using info_atom = caf::atom_constant<caf::atom("h_info")>;
using actors_atom = caf::atom_constant<caf::atom("h_actors")>;
using members_atom = caf::atom_constant<caf::atom("h_members")>;
using resync_atom = caf::atom_constant<caf::atom("h_resync")>;
using seen_atom = caf::atom_constant<caf::atom("h_seen")>;
using gone_atom = caf::atom_constant<caf::atom("h_gone")>;
using history_atom = caf::atom_constant<caf::atom("h_history")>;
using announce_atom = caf::atom_constant<caf::atom("h_announce")>;
using who_atom = caf::atom_constant<caf::atom("h_who")>;
using command_atom = caf::atom_constant<caf::atom("h_command")>;
using token_atom = caf::atom_constant<caf::atom("h_token")>;
using checked_atom = caf::atom_constant<caf::atom("h_checked")>;
using channels_atom = caf::atom_constant<caf::atom("h_chans")>;
using batch_atom = caf::atom_constant<caf::atom("h_batch")>;
using receipt_atom = caf::atom_constant<caf::atom("h_receipt")>;
} // namespace herald

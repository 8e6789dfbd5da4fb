// The session_machine's token life (token_expiring, refresh, 4001 at exp)
// and what the control API asks of it (docs/protocol.md, docs/http-api.md).
#include "actors/channel_policy.hpp"
#include "actors/session_machine.hpp"
#include "actors/sorted_names.hpp"
#include "config/log.hpp"
#include "config/text.hpp"

#include <nlohmann/json.hpp>

namespace herald {

namespace {

constexpr int64_t ms_count(std::chrono::milliseconds d) {
  return d.count();
}

} // namespace

// The next moment of the token's life: token_expiring refresh_ahead before
// exp (at once when that is past), then the close at exp + leeway.
void session_machine::arm_token_timer() {
  ++token_generation_;
  if (id_.token_exp_s <= 0)
    return;
  auto exp_ms = id_.token_exp_s * 1000;
  auto next = token_warned_ ? exp_ms + ms_count(id_.limits->token_leeway)
                            : exp_ms - ms_count(id_.limits->refresh_ahead);
  auto delay = std::max<int64_t>(0, next - wall_now_ms());
  token_timer_after(std::chrono::milliseconds(delay), token_generation_);
}

void session_machine::on_token_timer(uint64_t generation) {
  if (generation != token_generation_ || id_.token_exp_s <= 0)
    return;
  auto now = wall_now_ms();
  auto exp_ms = id_.token_exp_s * 1000;
  if (now >= exp_ms + ms_count(id_.limits->token_leeway)) {
    log::info(component(), "closing: the token expired without a refresh");
    return close_and_quit(close_code::auth_failed, "token expired", false);
  }
  if (!token_warned_) {
    token_warned_ = true;
    send_text(json_text(
        {{"type", server_type::token_expiring}, {"in_ms", std::max<int64_t>(0, exp_ms - now)}}));
  }
  arm_token_timer();
}

void session_machine::on_refresh(const std::string& token) {
  if (id_.user.rfind("anon:", 0) == 0 || id_.user.rfind("console:", 0) == 0)
    return send_error(client_error::bad_token, "this session has no token to refresh");
  if (refreshing_)
    return send_error(client_error::bad_token, "a refresh is already being checked");
  refreshing_ = true;
  check_token(token);
}

// The refreshed token: same user; its exp and channels now hold, and a
// channel it no longer allows is left (a channel the server joined stays).
void session_machine::on_token_checked(const token_result& checked) {
  refreshing_ = false;
  if (!checked.claims)
    return send_error(client_error::bad_token, checked.error);
  if (checked.claims->sub != id_.user)
    return send_error(client_error::bad_token, "the token is for another user");
  id_.allowed = checked.claims->channels;
  id_.token_exp_s = checked.claims->exp_s;
  token_warned_ = false;
  nlohmann::json exp = nullptr;
  if (id_.token_exp_s > 0)
    exp = id_.token_exp_s;
  send_text(json_text({{"type", server_type::refreshed}, {"exp", exp}}));
  std::vector<std::string> dropped;
  for (auto& c : channels_)
    if (!has_name(server_channels_, c) && check_channel(id_.allowed, c) != channel_check::ok)
      dropped.push_back(c);
  for (auto& c : dropped)
    leave_channel(c);
  arm_token_timer();
}

void session_machine::on_command(const session_command& command) {
  switch (command.what) {
    case session_command::kind::subscribe:
      if (check_channel_name(command.arg) != channel_check::ok)
        return; // checked by the API; a bus message may still be hostile
      if (!has_name(channels_, command.arg) && channels_.size() >= id_.limits->max_channels) {
        log::info(component(), "control subscribe refused: session.max_channels reached");
        return;
      }
      add_name(server_channels_, command.arg);
      return join_channel(command.arg, {});
    case session_command::kind::unsubscribe:
      if (has_name(channels_, command.arg))
        leave_channel(command.arg);
      return;
    case session_command::kind::inbox_read:
      return send_text(json_text({{"type", server_type::inbox_read}, {"up_to", command.arg}}));
    case session_command::kind::disconnect:
      log::info(component(),
                "disconnected by the control API (" + std::to_string(command.code) + ")");
      return close_and_quit(command.code, command.arg, false);
  }
}

} // namespace herald

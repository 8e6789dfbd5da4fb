#include "net/frame_auth.hpp"

#include "actors/client_protocol.hpp"
#include "config/text.hpp"
#include "net/ws_connection.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

namespace herald::net {

namespace {

// Frames a client sends after its auth frame and before welcome: held, then
// handed to the session in order. More than this closes the connection.
constexpr size_t early_frames_max = 16;

class frame_auth final : public session_port, public std::enable_shared_from_this<frame_auth> {
public:
  frame_auth(std::shared_ptr<ws_connection> conn, upgrade_decision decision, server_context& ctx)
      : conn_(std::move(conn)), decision_(std::move(decision)), ctx_(ctx),
        timer_(conn_->executor()) {}

  void start() {
    timer_.expires_after(ctx_.first_frame_timeout);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && self->state_ == state::waiting)
        self->refuse("no auth frame within auth.first_frame_timeout");
    });
    conn_->bind(shared_from_this());
  }

  // The connection's strand.
  void on_text(std::string text) override {
    if (state_ == state::checking || state_ == state::handed) {
      if (early_.size() >= early_frames_max)
        return refuse("frames sent before welcome: wait for it after auth");
      early_.push_back(std::move(text));
      return;
    }
    if (state_ != state::waiting)
      return;
    std::string error;
    auto token = auth_frame_token(text, error);
    if (token.empty())
      return refuse(error);
    state_ = state::checking;
    timer_.cancel();
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    check_client_token(
        token, ctx_.upgrade, *ctx_.tokens, now, [self = shared_from_this()](token_result checked) {
          boost::asio::post(self->conn_->executor(),
                            [self, checked = std::move(checked)] { self->on_checked(checked); });
        });
  }
  void on_touch(uint32_t) override {}
  void on_closed(uint64_t, uint16_t, bool) override {
    state_ = state::done;
    timer_.cancel();
  }
  void on_replaced(session_port& next) override {
    for (auto& text : early_)
      next.on_text(std::move(text));
    early_.clear();
  }

private:
  // handed: the registry makes the session; frames wait until it binds.
  enum class state : uint8_t { waiting, checking, handed, done };

  void on_checked(const token_result& checked) {
    if (state_ != state::checking)
      return; // the socket closed meanwhile
    if (!checked.claims)
      return refuse(checked.error);
    authorize_upgrade(decision_, &checked);
    if (decision_.status != 101)
      return refuse(decision_.error);
    state_ = state::handed;
    ctx_.registry.connect(connect_request_of(std::move(decision_), conn_));
  }

  void refuse(const std::string& why) {
    state_ = state::done;
    timer_.cancel();
    early_.clear();
    conn_->close(close_code::auth_failed, utf8_cut(why, 120), false);
  }

  std::shared_ptr<ws_connection> conn_;
  upgrade_decision decision_;
  server_context& ctx_;
  boost::asio::steady_timer timer_;
  state state_ = state::waiting;
  std::vector<std::string> early_;
};

} // namespace

std::string auth_frame_token(const std::string& text, std::string& error) {
  auto frame = parse_json(text);
  if (!frame.is_object()) {
    error = "the first frame must be {\"type\":\"auth\",\"token\":\"…\"}";
    return {};
  }
  auto type = frame.find("type");
  if (type == frame.end() || !type->is_string() || *type != client_type::auth) {
    error = "the first frame must be an auth frame";
    return {};
  }
  auto token = frame.find("token");
  if (token == frame.end() || !token->is_string() || token->get<std::string>().empty()) {
    error = "the auth frame has no token";
    return {};
  }
  return token->get<std::string>();
}

void await_auth_frame(std::shared_ptr<ws_connection> conn, upgrade_decision decision,
                      server_context& ctx) {
  std::make_shared<frame_auth>(std::move(conn), std::move(decision), ctx)->start();
}

} // namespace herald::net

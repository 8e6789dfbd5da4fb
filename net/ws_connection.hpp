#pragma once
// One client's WebSocket after the upgrade, as its session sees it (a
// frame_sink): reads and parses frames on the connection's strand and hands
// them to the session; answers pings; runs the close handshake. Writing is
// the socket_writer's (socket_writer.hpp).
//
//   close:   open ──start_close──► closing (our close frame queued; wait for the
//              │                     peer's answer or close_timeout) ──► finished
//              ├──peer's close──► echo it ──written──────────────────────► finished
//              └──abort_close / socket error / EOF ──────────────────────► finished
#include "actors/frame_sink.hpp"
#include "net/server_counters.hpp"
#include "net/socket_writer.hpp"
#include "net/ws_codec.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

namespace herald::net {

class ws_connection final : public frame_sink,
                            public std::enable_shared_from_this<ws_connection>,
                            private socket_writer::owner {
public:
  // `leftover`: bytes the client sent after its upgrade request.
  ws_connection(tcp::socket socket, std::string leftover, const connection_limits& limits,
                server_counters& counters);
  ~ws_connection() override;

  uint64_t id() const override { return id_; }
  void bind(std::shared_ptr<session_port> port) override;
  void send(out_frame frame) override { writer_.send(std::move(frame)); }
  void send(std::vector<out_frame> frames) override { writer_.send(std::move(frames)); }
  void ping() override;
  size_t queued_frames() override { return writer_.queued_frames(); }
  void close(uint16_t code, std::string reason, bool abort) override;
  // Keeps `slot` (the connection's place in the per-IP count) while it lives.
  void hold(std::shared_ptr<void> slot) { slot_ = std::move(slot); }
  // The strand its reads run on (first-frame auth times out there).
  asio::any_io_executor executor() { return socket_.get_executor(); }

private:
  enum class close_state : uint8_t {
    open,
    closing,  // our close frame is queued or out (ours, or the echo of the peer's)
    finished, // the socket is closed and the session told
  };

  // socket_writer::owner (strand).
  std::shared_ptr<void> keep_alive() override { return shared_from_this(); }
  tcp::socket& socket() override { return socket_; }
  bool socket_closed() override { return close_ == close_state::finished; }
  void on_slow_consumer() override;
  void on_close_frame_written() override;
  void on_writer_done() override { finish(close_code_, resumable_); }

  void do_read();
  void on_readable(boost::system::error_code ec);
  void parse_partial();
  void parse_kept(std::vector<ws::message>& msgs);
  bool handle(ws::message& m); // false when the connection stops reading
  bool handle_close(const std::string& payload);
  void report_control_frames();
  void start_close(uint16_t code, std::string_view reason, bool resumable);
  void abort_close(uint16_t code, std::string_view reason, bool resumable);
  // Closes the socket and tells the session, once; waits for a writer
  // outside the strand to let go of the socket first.
  void finish(uint16_t code, bool resumable);
  // Tells the session its socket is gone (once), before the client can see
  // our side of the close and reconnect.
  void tell_session(uint16_t code, bool resumable);

  // First: what a send() touches (frame_sink::hot_bytes, asserted in the .cpp).
  socket_writer writer_;
  uint64_t id_;

  tcp::socket socket_;

  // Strand only (packed: one object per connection).
  close_state close_ = close_state::open;
  bool reading_ = false;
  bool resumable_ = true;
  uint16_t close_code_ = close_code::abnormal;
  uint32_t control_frames_ = 0; // pings and pongs of this read, not yet told to the session
  std::unique_ptr<asio::steady_timer> close_timer_; // made when a close starts
  std::shared_ptr<session_port> port_;
  ws::parser parser_;
  std::unique_ptr<std::string> partial_; // unparsed bytes of an incomplete frame, if any
  std::shared_ptr<void> slot_;
};

} // namespace herald::net

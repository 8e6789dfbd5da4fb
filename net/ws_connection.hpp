#pragma once
// One client's WebSocket after the upgrade: reads and parses frames, hands
// them to its session, and writes what the session sends. All state lives on
// the connection's strand, except the hand-off list `pending_`: frame_sink
// calls append to it under a small lock and post one flush for the whole
// batch, so frames that arrive together are written together.
#include "actors/frame_sink.hpp"
#include "net/server_counters.hpp"
#include "net/ws_codec.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <memory>
#include <mutex>

namespace herald::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class ws_connection final : public frame_sink, public std::enable_shared_from_this<ws_connection> {
public:
  // `leftover`: bytes the client sent after its upgrade request.
  ws_connection(tcp::socket socket, std::string leftover, const connection_limits& limits,
                server_counters& counters);
  ~ws_connection() override;

  uint64_t id() const override { return id_; }
  void bind(std::shared_ptr<session_port> port) override;
  void send(out_frame frame) override;
  void send(std::vector<out_frame> frames) override;
  void ping() override;
  void close(uint16_t code, std::string reason, bool abort) override;

private:
  // One frame on the wire: the WebSocket header and the session's prefix
  // inline, then owned text and/or shared bytes.
  struct wire_frame {
    char head[ws::max_header + out_frame::max_prefix];
    uint8_t head_len = 0;
    std::string text;
    shared_bytes tail;
    bool data = false;  // counts as a message written to the client
  };
  static wire_frame control_frame(ws::opcode op, std::string_view payload);

  // Appends to pending_; posts a flush unless one is already on its way.
  void hand_off(std::vector<out_frame>& frames);
  void flush_pending();
  void enqueue(out_frame frame);
  void enqueue_control(ws::opcode op, std::string_view payload);
  void do_write();
  void on_write(boost::system::error_code ec, std::size_t n);
  void do_read();
  void on_readable(boost::system::error_code ec);
  bool handle(ws::message& m);
  void start_close(uint16_t code, std::string_view reason, bool resumable);
  void abort_close(uint16_t code, std::string_view reason, bool resumable);
  // Closes the socket and tells the session, once.
  void finish(uint16_t code, bool resumable);

  uint64_t id_;
  tcp::socket socket_;
  std::unique_ptr<asio::steady_timer> close_timer_;  // made when a close starts
  connection_limits limits_;
  server_counters& counters_;
  std::shared_ptr<session_port> port_;
  ws::parser parser_;
  std::string partial_;  // unparsed bytes of an incomplete frame
  std::mutex pending_mutex_;
  std::vector<out_frame> pending_;
  bool flush_posted_ = false;
  std::vector<wire_frame> queue_;
  std::vector<wire_frame> in_flight_;
  std::vector<asio::const_buffer> buffers_;
  bool reading_ = false;
  bool writing_ = false;
  bool close_sent_ = false;     // no more frames after our close frame
  bool finished_ = false;
  uint16_t close_code_ = close_code::abnormal;
  bool resumable_ = true;
};

} // namespace herald::net

#pragma once
// One client's WebSocket after the upgrade: reads and parses frames on the
// connection's strand and hands them to its session; writes what the session
// sends. The write side (queue and writer token, under `wmutex_`) lets the
// calling thread write a batch at once with one non-blocking writev; only
// what the socket does not take continues through Asio on the strand.
#include "actors/frame_sink.hpp"
#include "net/server_counters.hpp"
#include "net/spin_lock.hpp"
#include "net/ws_codec.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <memory>
#include <mutex> // std::lock_guard

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
  size_t queued_frames() override;
  void close(uint16_t code, std::string reason, bool abort) override;
  // Keeps `slot` (the connection's place in the per-IP count) while it lives.
  void hold(std::shared_ptr<void> slot) { slot_ = std::move(slot); }

private:
  // Frames on the wire are out_frames with their header written in place.
  using wire_frame = out_frame;
  static constexpr uint8_t flag_data = 1;  // counts as a message written to the client
  static constexpr uint8_t flag_close = 2; // our close frame: nothing follows it
  static void frame_in_place(out_frame& f, ws::opcode op, uint8_t flags);
  static wire_frame control_frame(ws::opcode op, std::string_view payload);
  static size_t wire_size(const wire_frame& f) {
    return static_cast<size_t>(f.head_end - f.head_begin) + f.text.size() +
           (f.tail ? f.tail->size() : 0);
  }
  enum class write_result { done, would_block, failed };

  // --- write side (any thread) ---------------------------------------------
  // Queues frames; if no one is writing, this thread becomes the writer and
  // writes at once with a non-blocking writev. What the socket does not take
  // goes on through Asio on the strand. Data frames over outbound_queue_max
  // close the connection with 1013.
  void submit(std::vector<wire_frame>&& frames, bool data);
  void write_one(wire_frame frame);
  static void keep_unwritten(wire_frame& f, size_t written);
  static int add_buffers(const wire_frame& f, struct iovec* out);
  void write_batch(std::vector<wire_frame> batch);
  write_result write_nonblocking(std::vector<wire_frame>& batch);
  void release_writer();
  bool drop_writer_locked(); // wmutex_ held
  void post_finish();

  // --- strand ----------------------------------------------------------------
  void write_async(std::vector<wire_frame> batch);
  void on_async_written(boost::system::error_code ec);
  void after_close_frame();
  void do_read();
  void on_readable(boost::system::error_code ec);
  bool handle(ws::message& m);
  void report_control_frames();
  void start_close(uint16_t code, std::string_view reason, bool resumable);
  void abort_close(uint16_t code, std::string_view reason, bool resumable);
  // Closes the socket and tells the session, once; waits for a writer
  // outside the strand to let go of the socket first.
  void finish(uint16_t code, bool resumable);
  // Tells the session its socket is gone (once), before the client can see
  // our side of the close and reconnect.
  void tell_session(uint16_t code, bool resumable);

  // The fields a write touches come first, within frame_sink::hot_bytes:
  // a fan-out loads those lines of each connection ahead of its turn.
  uint64_t id_;
  int fd_;
  const connection_limits& limits_; // the server's, which outlives every connection
  server_counters& counters_;

  // Write side, guarded by wmutex_. `writer_` is the token of the one thread
  // allowed to write the socket; `direct_` says it writes the raw descriptor
  // outside the strand, so the strand must not close it meanwhile.
  spin_lock wmutex_;
  std::vector<wire_frame> wqueue_;
  bool writer_ = false;
  bool direct_ = false;
  bool data_closed_ = false; // a close frame is queued: no more data frames
  bool wclosed_ = false;     // the socket is finished: nothing more is written
  bool finish_deferred_ = false;
  bool pong_waiting_ = false; // a pong is queued and not yet written

  tcp::socket socket_;

  // Strand only.
  std::unique_ptr<asio::steady_timer> close_timer_; // made when a close starts
  std::shared_ptr<session_port> port_;
  ws::parser parser_;
  std::unique_ptr<std::string> partial_; // unparsed bytes of an incomplete frame, if any
  // Only while Asio writes for a client that is not keeping up.
  struct async_write_state {
    std::vector<wire_frame> frames;
    std::vector<asio::const_buffer> buffers;
  };
  std::unique_ptr<async_write_state> async_;
  bool reading_ = false;
  uint32_t control_frames_ = 0; // pings and pongs of this read, not yet told to the session
  bool close_sent_ = false;     // our close frame is queued or out
  bool close_written_ = false;
  bool finished_ = false;
  uint16_t close_code_ = close_code::abnormal;
  bool resumable_ = true;
  std::shared_ptr<void> slot_;
};

} // namespace herald::net

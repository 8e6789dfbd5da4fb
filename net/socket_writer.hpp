#pragma once
// The write side of one WebSocket connection: frames from any thread, in
// order, with as few system calls as possible. The calling thread writes at
// once with one non-blocking writev when no one else is writing; what the
// socket does not take continues through Asio on the connection's strand.
//
//   write_state:   idle ──send──► direct ──all written──► idle
//                                  │  └─finish asked meanwhile─► direct_then_finish ─► idle +
//                                  finish ├─would block──► async (strand) ──drained──► idle
//                                  └─socket error──► failed (the token is never given back)
//                  idle ──abort_close──► held (the strand offers the close frame) ──► idle
//   intake:        open ──close frame queued, or slow consumer──► control_only ──finish──► closed
//
// One thread at a time holds the writer token (every state but idle); the
// others queue under a one-byte lock. The connection (ws_connection) hears
// back through socket_writer::owner, always on its strand.
#include "actors/frame_sink.hpp"
#include "net/server_counters.hpp"
#include "net/spin_lock.hpp"
#include "net/ws_codec.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <memory>
#include <vector>

struct iovec;

namespace herald::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class socket_writer {
public:
  // What the writer tells its connection; each call runs on the strand.
  class owner {
  public:
    virtual ~owner() = default;
    // Held by work posted to the strand, so the connection outlives it.
    virtual std::shared_ptr<void> keep_alive() = 0;
    virtual tcp::socket& socket() = 0;         // for Asio's writes and the strand
    virtual bool socket_closed() = 0;          // strand: finished, completions do nothing more
    virtual void on_slow_consumer() = 0;       // outbound_queue_max data frames waiting
    virtual void on_close_frame_written() = 0; // our close frame is out
    // The socket failed, or a finish waited for a direct write to end:
    // finish now.
    virtual void on_writer_done() = 0;
  };

  enum class write_state : uint8_t { idle, direct, direct_then_finish, async, held, failed };
  enum class intake : uint8_t { open, control_only, closed };

  // Frames on the wire: out_frames with their header written in place.
  using wire_frame = out_frame;
  static constexpr uint8_t flag_data = 1;  // counts as a message written to the client
  static constexpr uint8_t flag_close = 2; // our close frame: nothing follows it
  static void frame_in_place(out_frame& f, ws::opcode op, uint8_t flags);
  static wire_frame control_frame(ws::opcode op, std::string_view payload);

  // `fd`: the connection's socket, which outlives the writer's use of it.
  socket_writer(int fd, owner& owner, const connection_limits& limits, server_counters& counters);

  // --- any thread ---------------------------------------------------------------
  void send(out_frame frame); // a text frame
  void send(std::vector<out_frame> frames);
  // Pings, pongs and close frames; after a close frame no data is taken.
  void send_control(wire_frame frame);
  // A pong may be queued: true at most once until the queue is written out,
  // so a client that pings and never reads cannot grow it.
  bool claim_pong();
  size_t queued_frames();

  // --- strand -------------------------------------------------------------------
  // Takes the token if idle (abort: offer the close frame only if the
  // socket takes it now); true when held. release_hold() gives it back.
  bool hold_if_idle();
  // After the abort: no frame is taken any more; the token goes back if held.
  void end_abort(bool held);
  // Stops taking frames. False while a direct write still uses the
  // descriptor: on_writer_done() comes when it let go.
  bool close_for_finish();
  const connection_limits& limits() const { return limits_; }
  server_counters& counters() { return counters_; }

  write_state state_for_tests();
  intake intake_for_tests();

private:
  enum class write_result { done, would_block, failed };
  static size_t wire_size(const wire_frame& f) {
    return static_cast<size_t>(f.head_end - f.head_begin) + f.text.size() +
           (f.tail ? f.tail->size() : 0);
  }
  static int add_buffers(const wire_frame& f, iovec* out);
  static void keep_unwritten(wire_frame& f, size_t written);

  void submit(std::vector<wire_frame>&& frames, bool data);
  void write_one(wire_frame frame);
  void write_batch(std::vector<wire_frame> batch);
  write_result write_nonblocking(std::vector<wire_frame>& batch);
  // Ends a direct write (lock held): true when a finish waited for it.
  bool end_direct_locked();
  void fail();
  void post_done();
  void post_close_written();
  void write_async(std::vector<wire_frame> batch);
  void on_async_written(boost::system::error_code ec);

  // The fields a write touches come first (the connection keeps them within
  // frame_sink::hot_bytes: runtime/README.md, "Layout").
  // One object per connection: the small fields are packed.
  int fd_;
  spin_lock lock_;
  write_state state_ = write_state::idle; // under lock_
  intake intake_ = intake::open;          // under lock_
  bool pong_queued_ = false;              // under lock_
  server_counters& counters_;
  std::vector<wire_frame> queue_; // under lock_

  owner& owner_;
  const connection_limits& limits_;
  // Strand only: while Asio writes for a client that is not keeping up.
  struct async_write {
    std::vector<wire_frame> frames;
    std::vector<asio::const_buffer> buffers;
  };
  std::unique_ptr<async_write> async_;

public:
  // Bytes from the start of the object that a send() touches.
  static constexpr size_t hot_size();
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
constexpr size_t socket_writer::hot_size() {
  return offsetof(socket_writer, queue_) + sizeof(std::vector<wire_frame>);
}
#pragma GCC diagnostic pop

} // namespace herald::net

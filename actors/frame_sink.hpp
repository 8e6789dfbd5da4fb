#pragma once
// The two doors between a session actor and its socket. Neither side sees the
// other's framework: net/ implements frame_sink (Asio), actors/ implements
// session_port (CAF). Both are thread-safe.
#include "actors/client_protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// Bytes shared, immutable, by every session that sends them.
using shared_bytes = std::shared_ptr<const std::string>;

// One outbound text frame: a short per-session prefix kept inline (the
// event's seq; no allocation), then owned text and/or shared bytes. The
// shared tail (an event's payload, encoded once per publish) is the same
// object for every session that sends it.
//
// `head` keeps room in front of the prefix for the transport's frame header,
// so the connection frames it in place and queues this very object: nothing
// is copied or allocated between the session and the socket.
struct out_frame {
  static constexpr size_t header_room = 10; // the largest WebSocket header
  static constexpr size_t max_prefix = 48;
  char head[header_room + max_prefix];
  uint8_t head_begin = header_room; // the transport moves this back over its header
  uint8_t head_end = header_room;   // end of the prefix
  uint8_t transport_flags = 0;      // the transport's own marks
  int64_t made_ns = 0;              // when its event was published (steady clock), 0: not an event
  std::string text;
  shared_bytes tail;

  size_t payload_size() const {
    return (head_end - header_room) + text.size() + (tail ? tail->size() : 0);
  }
  std::string_view prefix_view() const {
    return {head + header_room, static_cast<size_t>(head_end - header_room)};
  }
  char* prefix_begin() { return head + header_room; }

  static out_frame owned(std::string text) {
    out_frame f;
    f.text = std::move(text);
    return f;
  }
};

// What a session calls on its client's connection.
class session_port;

class frame_sink {
public:
  // A cache hint for fan-outs: an implementation keeps what send() touches
  // within its first `hot_bytes`, and is made with make_shared (its counts
  // sit just before it), so a session can load those lines ahead of its turn.
  static constexpr size_t hot_bytes = 192;

  virtual ~frame_sink() = default;
  // Unique for the life of the process; tells a stale detach from a current one.
  virtual uint64_t id() const = 0;
  // Connects inbound traffic to a session and starts reading.
  virtual void bind(std::shared_ptr<session_port> port) = 0;
  // Queues frames for the client, written in order; several queued frames go
  // out in one write. Over the queue limit the connection closes with 1013.
  virtual void send(out_frame frame) = 0;
  virtual void send(std::vector<out_frame> frames) = 0;
  // A protocol-level ping.
  virtual void ping() = 0;
  // Frames queued for the socket and not yet written (for monitoring).
  virtual size_t queued_frames() = 0;
  // Sends a close frame. Graceful: waits (close_timeout) for the client's
  // reply. Abort: tries the close frame without waiting and drops TCP at once.
  virtual void close(uint16_t code, std::string reason, bool abort) = 0;
};

// What a connection calls on its session.
class session_port {
public:
  virtual ~session_port() = default;
  virtual void on_text(std::string text) = 0;
  // `frames` control frames (pings, pongs) arrived in one read: the client
  // is alive, and they count toward session.max_frames_per_sec.
  virtual void on_touch(uint32_t frames) = 0;
  // The socket is gone. `code` is the close code involved (1006 when none);
  // `resumable` says whether the session should wait for a resume.
  virtual void on_closed(uint64_t sink_id, uint16_t code, bool resumable) = 0;
  // Another port was bound in this one's place: hand it what is still held
  // (first-frame auth holds the frames that came before the session existed).
  virtual void on_replaced(session_port& next) { (void)next; }
};

} // namespace herald

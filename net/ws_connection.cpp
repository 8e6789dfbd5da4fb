#include "net/ws_connection.hpp"

#include "config/log.hpp"

#include <boost/asio/post.hpp>

#include <cstddef>
#include <utility>

namespace herald::net {

namespace {

std::atomic<uint64_t> next_id{1};

// Frames read from any socket land here first; only the unparsed rest of an
// incomplete frame is copied into the connection, so an idle connection
// holds no read buffer.
constexpr size_t read_chunk = 65536;
thread_local char read_buffer[read_chunk];
constexpr int max_reads_per_wakeup = 16;

bool valid_close_code(uint16_t c) {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

} // namespace

ws_connection::ws_connection(tcp::socket socket, std::string leftover,
                             const connection_limits& limits, server_counters& counters)
    : writer_(socket.native_handle(), *this, limits, counters), id_(next_id++),
      socket_(std::move(socket)), parser_(limits.max_message_bytes),
      partial_(leftover.empty() ? nullptr : std::make_unique<std::string>(std::move(leftover))) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
  static_assert(offsetof(ws_connection, writer_) + socket_writer::hot_size() <=
                    frame_sink::hot_bytes,
                "what a send() touches must sit within frame_sink::hot_bytes (runtime/README.md)");
#pragma GCC diagnostic pop
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(tcp::no_delay(true), ec);
}

ws_connection::~ws_connection() {
  if (close_ != close_state::finished)
    --writer_.counters().active_connections;
}

void ws_connection::bind(std::shared_ptr<session_port> port) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), port = std::move(port)]() mutable {
    if (self->close_ == close_state::finished) {
      port->on_closed(self->id_, self->close_code_, self->resumable_);
      return;
    }
    if (self->port_ && self->port_ != port)
      self->port_->on_replaced(*port);
    self->port_ = std::move(port);
    if (self->reading_)
      return;
    self->reading_ = true;
    if (self->partial_)
      self->parse_partial();
    if (self->reading_)
      self->do_read();
  });
}

void ws_connection::ping() {
  writer_.send_control(socket_writer::control_frame(ws::opcode::ping, {}));
}

void ws_connection::close(uint16_t code, std::string reason, bool abort) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), code, reason = std::move(reason), abort] {
               // The session asked for this close: it decides about resume itself.
               if (abort)
                 self->abort_close(code, reason, false);
               else
                 self->start_close(code, reason, false);
             });
}

// ---- from the writer (strand) ------------------------------------------------

void ws_connection::on_slow_consumer() {
  log::info("net", "connection " + std::to_string(id_) +
                       ": outbound queue full (session.outbound_queue_max), closing 1013");
  start_close(close_code::try_again_later, "slow consumer: outbound queue full", true);
}

// Our close frame is out: if we are not waiting for the peer's answer, we are done.
void ws_connection::on_close_frame_written() {
  if (!reading_)
    finish(close_code_, resumable_);
}

// ---- read side (strand) ---------------------------------------------------------

// Parses the bytes kept from earlier reads; keeps what is still incomplete.
void ws_connection::parse_kept(std::vector<ws::message>& msgs) {
  auto used = parser_.parse(partial_->data(), partial_->size(), msgs);
  partial_->erase(0, used);
  if (partial_->empty())
    partial_.reset();
}

// What the client sent with its upgrade request, before anyone read.
void ws_connection::parse_partial() {
  std::vector<ws::message> msgs;
  parse_kept(msgs);
  for (auto& m : msgs)
    if (!handle(m))
      return;
  report_control_frames();
  if (parser_.error()) {
    reading_ = false; // nobody reads the peer's answer: do not wait for it
    partial_.reset();
    start_close(parser_.error(), parser_.error_reason(), false);
  }
}

void ws_connection::do_read() {
  socket_.async_wait(
      tcp::socket::wait_read,
      [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
}

void ws_connection::on_readable(boost::system::error_code ec) {
  if (close_ == close_state::finished)
    return;
  if (ec)
    return finish(close_code_, resumable_);
  std::vector<ws::message> msgs;
  for (int round = 0; round < max_reads_per_wakeup; ++round) {
    auto n = socket_.read_some(asio::buffer(read_buffer, read_chunk), ec);
    if (ec == asio::error::would_block)
      break;
    if (ec) // EOF or reset without a close frame: the client may resume
      return finish(close_code_, resumable_);
    msgs.clear();
    if (!partial_) {
      auto used = parser_.parse(read_buffer, n, msgs);
      if (!parser_.error() && used < n)
        partial_ = std::make_unique<std::string>(read_buffer + used, n - used);
    } else {
      partial_->append(read_buffer, n);
      parse_kept(msgs);
    }
    for (auto& m : msgs)
      if (!handle(m))
        return;
    report_control_frames();
    // The parser never keeps more than one frame header plus a message's
    // bytes unparsed; more means a bug there, and must not become memory.
    if (partial_ && partial_->size() > writer_.limits().max_message_bytes + 14) {
      reading_ = false;
      partial_.reset();
      return start_close(close_code::too_big, "message too big", false);
    }
    if (parser_.error()) {
      log::debug("net",
                 "connection " + std::to_string(id_) + ": " + std::string(parser_.error_reason()));
      reading_ = false;
      partial_.reset();
      return start_close(parser_.error(), parser_.error_reason(), false);
    }
    if (n < read_chunk)
      break;
  }
  do_read();
}

// One message per read for all its pings and pongs, however many: a ping
// flood costs the session one message per read, not one per frame.
void ws_connection::report_control_frames() {
  if (control_frames_ == 0)
    return;
  if (port_)
    port_->on_touch(control_frames_);
  control_frames_ = 0;
}

bool ws_connection::handle(ws::message& m) {
  switch (m.op) {
    case ws::opcode::text:
      ++writer_.counters().messages_in;
      if (port_)
        port_->on_text(std::move(m.payload));
      return true;
    case ws::opcode::ping:
      // At most one pong waits to be written (RFC 6455 §5.5.3 lets us answer
      // only the latest ping). The session counts pings in its frame rate.
      if (writer_.claim_pong())
        writer_.send_control(socket_writer::control_frame(ws::opcode::pong, m.payload));
      ++control_frames_;
      return true;
    case ws::opcode::pong:
      ++control_frames_;
      return true;
    case ws::opcode::close:
      reading_ = false;
      return handle_close(m.payload);
    default:
      return true;
  }
}

// Always false: the connection stops reading.
bool ws_connection::handle_close(const std::string& payload) {
  if (close_ == close_state::closing) { // the answer to our close
    finish(close_code_, resumable_);
    return false;
  }
  if (payload.size() == 1) {
    start_close(close_code::protocol_error, "bad close frame", false);
    return false;
  }
  auto info = ws::parse_close(payload);
  if (info.code != close_code::no_status && !valid_close_code(info.code)) {
    start_close(close_code::protocol_error, "bad close code", false);
    return false;
  }
  if (!ws::valid_utf8(info.reason)) {
    start_close(close_code::invalid_payload, "close reason is not UTF-8", false);
    return false;
  }
  // Echo the client's close, then drop the socket once it is written.
  close_code_ = info.code;
  resumable_ = info.code != close_code::normal;
  close_ = close_state::closing;
  tell_session(close_code_, resumable_);
  writer_.send_control(
      info.code == close_code::no_status
          ? socket_writer::control_frame(ws::opcode::close, {})
          : socket_writer::control_frame(ws::opcode::close, ws::close_payload(info.code, {})));
  return false;
}

// ---- closing (strand) -------------------------------------------------------------

void ws_connection::start_close(uint16_t code, std::string_view reason, bool resumable) {
  if (close_ != close_state::open)
    return;
  close_code_ = code;
  resumable_ = resumable;
  close_ = close_state::closing;
  if (!reading_) // a protocol violation: the session ends now
    tell_session(code, resumable);
  close_timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
  close_timer_->expires_after(std::chrono::milliseconds(writer_.limits().close_timeout_ms));
  close_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec)
      self->finish(self->close_code_, self->resumable_);
  });
  writer_.send_control(
      socket_writer::control_frame(ws::opcode::close, ws::close_payload(code, reason)));
}

void ws_connection::abort_close(uint16_t code, std::string_view reason, bool resumable) {
  if (close_ == close_state::finished)
    return;
  bool held = writer_.hold_if_idle();
  if (held && close_ == close_state::open) {
    // Offer the close frame only if the socket takes it right now.
    auto frame = ws::encode_close(code, reason);
    boost::system::error_code ec;
    socket_.write_some(asio::buffer(frame), ec);
  }
  writer_.end_abort(held);
  finish(code, resumable);
}

void ws_connection::finish(uint16_t code, bool resumable) {
  if (close_ == close_state::finished)
    return;
  close_code_ = code;
  resumable_ = resumable;
  if (!writer_.close_for_finish())
    return; // a writer outside the strand still uses the descriptor: on_writer_done follows
  close_ = close_state::finished;
  boost::system::error_code ec;
  if (close_timer_)
    close_timer_->cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  --writer_.counters().active_connections;
  tell_session(code, resumable);
}

void ws_connection::tell_session(uint16_t code, bool resumable) {
  if (port_) {
    port_->on_closed(id_, code, resumable);
    port_.reset();
  }
}

} // namespace herald::net

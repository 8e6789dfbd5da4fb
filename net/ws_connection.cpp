#include "net/ws_connection.hpp"

#include "config/log.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <cstring>

namespace herald::net {

namespace {

std::atomic<uint64_t> next_id{1};

// Frames read from any socket land here first; only the unparsed rest of an
// incomplete frame is copied into the connection, so an idle connection
// holds no read buffer.
constexpr size_t read_chunk = 64 * 1024;
thread_local char read_buffer[read_chunk];

// Gathered writes: at most this many frames per write (up to three buffers each, below IOV_MAX).
constexpr size_t max_frames_per_write = 300;
constexpr int max_reads_per_wakeup = 16;

bool valid_close_code(uint16_t c) {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

} // namespace

ws_connection::ws_connection(tcp::socket socket, std::string leftover,
                             const connection_limits& limits, server_counters& counters)
    : id_(next_id++),
      socket_(std::move(socket)),
      limits_(limits),
      counters_(counters),
      parser_(limits.max_message_bytes),
      partial_(std::move(leftover)) {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(tcp::no_delay(true), ec);
}

ws_connection::~ws_connection() {
  if (!finished_)
    --counters_.active_connections;
}

void ws_connection::bind(std::shared_ptr<session_port> port) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), port = std::move(port)]() mutable {
    if (self->finished_) {
      port->on_closed(self->id_, self->close_code_, self->resumable_);
      return;
    }
    self->port_ = std::move(port);
    if (self->reading_)
      return;
    self->reading_ = true;
    if (!self->partial_.empty()) {
      std::vector<ws::message> msgs;
      auto used = self->parser_.parse(self->partial_.data(), self->partial_.size(), msgs);
      self->partial_.erase(0, used);
      for (auto& m : msgs)
        if (!self->handle(m))
          return;
      if (self->parser_.error())
        return self->start_close(self->parser_.error(), self->parser_.error_reason(), false);
    }
    self->do_read();
  });
}

void ws_connection::send(out_frame frame) {
  std::vector<out_frame> one;
  one.push_back(std::move(frame));
  hand_off(one);
}

void ws_connection::send(std::vector<out_frame> frames) { hand_off(frames); }

void ws_connection::hand_off(std::vector<out_frame>& frames) {
  bool post;
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    if (pending_.empty())
      pending_.swap(frames);
    else
      for (auto& f : frames)
        pending_.push_back(std::move(f));
    post = !flush_posted_;
    flush_posted_ = true;
  }
  if (post)
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->flush_pending();
      self->do_write();
    });
}

void ws_connection::flush_pending() {
  std::vector<out_frame> batch;
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    batch.swap(pending_);
    flush_posted_ = false;
  }
  for (auto& f : batch)
    enqueue(std::move(f));
}

void ws_connection::ping() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->flush_pending();
    self->enqueue_control(ws::opcode::ping, {});
    self->do_write();
  });
}

void ws_connection::close(uint16_t code, std::string reason, bool abort) {
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), code, reason = std::move(reason), abort] {
               // Frames the session sent before closing go out first.
               self->flush_pending();
               // The session asked for this close: it decides about resume itself.
               if (abort)
                 self->abort_close(code, reason, false);
               else
                 self->start_close(code, reason, false);
             });
}

void ws_connection::enqueue(out_frame frame) {
  if (finished_ || close_sent_)
    return;
  if (queue_.size() >= limits_.outbound_queue_max) {
    ++counters_.slow_consumer_closes;
    log::info("net", "connection " + std::to_string(id_) +
                         ": outbound queue full (session.outbound_queue_max), closing 1013");
    queue_.clear();
    return start_close(close_code::try_again_later, "slow consumer: outbound queue full", true);
  }
  auto& w = queue_.emplace_back();
  w.head_len = static_cast<uint8_t>(ws::write_header(w.head, ws::opcode::text, frame.size()));
  std::memcpy(w.head + w.head_len, frame.prefix, frame.prefix_len);
  w.head_len += frame.prefix_len;
  w.text = std::move(frame.text);
  w.tail = std::move(frame.tail);
  w.data = true;
}

ws_connection::wire_frame ws_connection::control_frame(ws::opcode op, std::string_view payload) {
  wire_frame w;
  w.head_len = static_cast<uint8_t>(ws::write_header(w.head, op, payload.size()));
  w.text = std::string(payload);
  return w;
}

void ws_connection::enqueue_control(ws::opcode op, std::string_view payload) {
  if (finished_ || close_sent_)
    return;
  queue_.push_back(control_frame(op, payload));
}

void ws_connection::do_write() {
  if (writing_ || queue_.empty() || finished_)
    return;
  writing_ = true;
  in_flight_.clear();
  buffers_.clear();
  if (queue_.size() <= max_frames_per_write) {
    in_flight_.swap(queue_);
  } else {
    auto split = queue_.begin() + max_frames_per_write;
    in_flight_.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(split));
    queue_.erase(queue_.begin(), split);
  }
  for (auto& f : in_flight_) {
    buffers_.emplace_back(asio::buffer(f.head, f.head_len));
    if (!f.text.empty())
      buffers_.emplace_back(asio::buffer(f.text));
    if (f.tail && !f.tail->empty())
      buffers_.emplace_back(asio::buffer(*f.tail));
  }
  asio::async_write(socket_, buffers_,
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                      self->on_write(ec, n);
                    });
}

void ws_connection::on_write(boost::system::error_code ec, std::size_t) {
  writing_ = false;
  if (finished_)
    return;
  if (ec)
    return finish(close_code_, resumable_);
  uint64_t data = 0;
  for (auto& f : in_flight_)
    data += f.data;
  counters_.total_messages += data;
  ++counters_.socket_writes;
  in_flight_.clear();
  if (in_flight_.capacity() > 64) {  // a burst is over: an idle connection keeps no big buffers
    std::vector<wire_frame>().swap(in_flight_);
    std::vector<asio::const_buffer>().swap(buffers_);
  }
  if (!queue_.empty())
    return do_write();
  // Our close frame is out and nothing waits for the peer's answer: done.
  if (close_sent_ && !reading_)
    finish(close_code_, resumable_);
}

void ws_connection::do_read() {
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](
                                                 boost::system::error_code ec) {
    self->on_readable(ec);
  });
}

void ws_connection::on_readable(boost::system::error_code ec) {
  if (finished_)
    return;
  if (ec)
    return finish(close_code_, resumable_);
  std::vector<ws::message> msgs;
  for (int round = 0; round < max_reads_per_wakeup; ++round) {
    auto n = socket_.read_some(asio::buffer(read_buffer, read_chunk), ec);
    if (ec == asio::error::would_block)
      break;
    if (ec)  // EOF or reset without a close frame: the client may resume
      return finish(close_code_, resumable_);
    msgs.clear();
    if (partial_.empty()) {
      auto used = parser_.parse(read_buffer, n, msgs);
      if (!parser_.error())
        partial_.assign(read_buffer + used, n - used);
    } else {
      partial_.append(read_buffer, n);
      auto used = parser_.parse(partial_.data(), partial_.size(), msgs);
      partial_.erase(0, used);
    }
    for (auto& m : msgs)
      if (!handle(m))
        return;
    if (parser_.error()) {
      log::debug("net", "connection " + std::to_string(id_) + ": " + parser_.error_reason());
      reading_ = false;
      partial_.clear();
      return start_close(parser_.error(), parser_.error_reason(), false);
    }
    if (n < read_chunk)
      break;
  }
  do_read();
}

// Returns false when the connection stops reading.
bool ws_connection::handle(ws::message& m) {
  switch (m.op) {
    case ws::opcode::text:
      ++counters_.messages_in;
      if (port_)
        port_->on_text(std::move(m.payload));
      return true;
    case ws::opcode::ping:
      enqueue_control(ws::opcode::pong, m.payload);
      do_write();
      if (port_)
        port_->on_touch();
      return true;
    case ws::opcode::pong:
      if (port_)
        port_->on_touch();
      return true;
    case ws::opcode::close: {
      reading_ = false;
      if (close_sent_) {  // the answer to our close
        finish(close_code_, resumable_);
        return false;
      }
      if (m.payload.size() == 1) {
        start_close(close_code::protocol_error, "bad close frame", false);
        return false;
      }
      auto info = ws::parse_close(m.payload);
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
      queue_.push_back(info.code == close_code::no_status
                           ? control_frame(ws::opcode::close, {})
                           : control_frame(ws::opcode::close, ws::close_payload(info.code, {})));
      close_sent_ = true;
      do_write();
      return false;
    }
    default:
      return true;
  }
}

void ws_connection::start_close(uint16_t code, std::string_view reason, bool resumable) {
  if (finished_ || close_sent_)
    return;
  close_code_ = code;
  resumable_ = resumable;
  queue_.push_back(control_frame(ws::opcode::close, ws::close_payload(code, reason)));
  close_sent_ = true;
  close_timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
  close_timer_->expires_after(std::chrono::milliseconds(limits_.close_timeout_ms));
  close_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec)
      self->finish(self->close_code_, self->resumable_);
  });
  do_write();
}

void ws_connection::abort_close(uint16_t code, std::string_view reason, bool resumable) {
  if (finished_)
    return;
  if (!writing_ && !close_sent_) {
    // Offer the close frame only if the socket takes it right now.
    auto frame = ws::encode_close(code, reason);
    boost::system::error_code ec;
    socket_.write_some(asio::buffer(frame), ec);
  }
  finish(code, resumable);
}

void ws_connection::finish(uint16_t code, bool resumable) {
  if (finished_)
    return;
  finished_ = true;
  close_code_ = code;
  resumable_ = resumable;
  boost::system::error_code ec;
  if (close_timer_)
    close_timer_->cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  queue_.clear();
  --counters_.active_connections;
  if (port_) {
    port_->on_closed(id_, code, resumable);
    port_.reset();
  }
}

} // namespace herald::net

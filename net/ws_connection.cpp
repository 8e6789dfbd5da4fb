#include "net/ws_connection.hpp"

#include "config/log.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <utility>

namespace herald::net {

namespace {

std::atomic<uint64_t> next_id{1};

// Frames read from any socket land here first; only the unparsed rest of an
// incomplete frame is copied into the connection, so an idle connection
// holds no read buffer.
constexpr size_t read_chunk = 64 * 1024;
thread_local char read_buffer[read_chunk];

// Gathered writes: at most this many frames per writev (up to three buffers each, below IOV_MAX).
constexpr size_t max_frames_per_write = 300;
constexpr size_t max_buffers = 3 * max_frames_per_write;
constexpr int max_reads_per_wakeup = 16;

// Small batches are copied into one buffer and sent with a single send(2):
// cheaper in the kernel than a writev of many tiny pieces.
constexpr size_t copy_limit = 16 * 1024;
thread_local char send_buffer[copy_limit];

// glibc's send and writev are thread cancellation points: each call switches
// cancellation on and off around the system call. Herald never cancels a
// thread, so its socket writes (one per session in a fan-out) go to the
// kernel directly.
ssize_t sys_writev(int fd, const iovec* iov, int n) {
  return ::syscall(SYS_writev, fd, iov, n);
}

ssize_t sys_send(int fd, const void* data, size_t size) {
  return ::syscall(SYS_sendto, fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT, nullptr, 0);
}

ssize_t gather_write(int fd, const iovec* iov, int n) {
  size_t total = 0;
  for (int i = 0; i < n; ++i)
    total += iov[i].iov_len;
  if (n == 1 || total > copy_limit)
    return sys_writev(fd, iov, n);
  char* p = send_buffer;
  for (int i = 0; i < n; ++i) {
    std::memcpy(p, iov[i].iov_base, iov[i].iov_len);
    p += iov[i].iov_len;
  }
  return sys_send(fd, send_buffer, total);
}

bool valid_close_code(uint16_t c) {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

} // namespace

ws_connection::ws_connection(tcp::socket socket, std::string leftover,
                             const connection_limits& limits, server_counters& counters)
    : id_(next_id++), fd_(socket.native_handle()), limits_(limits), counters_(counters),
      socket_(std::move(socket)), parser_(limits.max_message_bytes),
      partial_(leftover.empty() ? nullptr : std::make_unique<std::string>(std::move(leftover))) {
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
    if (self->partial_) {
      std::vector<ws::message> msgs;
      auto used = self->parser_.parse(self->partial_->data(), self->partial_->size(), msgs);
      self->partial_->erase(0, used);
      if (self->partial_->empty())
        self->partial_.reset();
      for (auto& m : msgs)
        if (!self->handle(m))
          return;
      self->report_control_frames();
      if (self->parser_.error()) {
        self->reading_ = false; // nobody reads the peer's answer: do not wait for it
        self->partial_.reset();
        return self->start_close(self->parser_.error(), self->parser_.error_reason(), false);
      }
    }
    self->do_read();
  });
}

// ---- frames ----------------------------------------------------------------

// Writes the WebSocket header right in front of the frame's prefix.
void ws_connection::frame_in_place(out_frame& f, ws::opcode op, uint8_t flags) {
  char header[ws::max_header];
  auto n = ws::write_header(header, op, f.payload_size());
  f.head_begin = static_cast<uint8_t>(out_frame::header_room - n);
  std::memcpy(f.head + f.head_begin, header, n);
  f.transport_flags = flags;
}

ws_connection::wire_frame ws_connection::control_frame(ws::opcode op, std::string_view payload) {
  wire_frame w;
  w.text = std::string(payload);
  frame_in_place(w, op, op == ws::opcode::close ? flag_close : 0);
  return w;
}

void ws_connection::send(out_frame frame) {
  frame_in_place(frame, ws::opcode::text, flag_data);
  bool idle;
  {
    std::lock_guard<spin_lock> lock(wmutex_);
    if (wclosed_ || data_closed_)
      return;
    idle = !writer_ && wqueue_.empty();
    if (idle)
      writer_ = direct_ = true;
  }
  if (idle)
    return write_one(std::move(frame));
  // Someone is writing: the frame joins the queue.
  std::vector<wire_frame> one;
  one.push_back(std::move(frame));
  submit(std::move(one), true);
}

// Holding the writer token with nothing queued: writes one frame straight
// from the stack (no batch to build); the rest, if any, goes the general way.
void ws_connection::write_one(wire_frame frame) {
  iovec iov[3];
  int n = add_buffers(frame, iov);
  ssize_t w;
  do
    w = gather_write(fd_, iov, n);
  while (w < 0 && errno == EINTR);
  std::vector<wire_frame> rest;
  if (w >= 0) {
    ++counters_.socket_writes;
    if (static_cast<size_t>(w) == wire_size(frame)) {
      ++counters_.total_messages;
      bool deferred = false;
      {
        std::lock_guard<spin_lock> lock(wmutex_);
        if (wqueue_.empty() || wclosed_)
          deferred = drop_writer_locked();
        else
          rest.swap(wqueue_); // queued meanwhile: this thread writes it too
      }
      if (rest.empty()) {
        if (deferred)
          post_finish();
        return;
      }
    } else {
      keep_unwritten(frame, static_cast<size_t>(w));
      rest.push_back(std::move(frame));
    }
  } else {
    rest.push_back(std::move(frame)); // EAGAIN or an error: write_batch sees it again
  }
  write_batch(std::move(rest));
}

// A frame's bytes as up to three buffers (header and prefix, own text,
// shared tail); returns how many it wrote.
int ws_connection::add_buffers(const wire_frame& f, iovec* out) {
  int n = 0;
  out[n++] = {const_cast<char*>(f.head) + f.head_begin,
              static_cast<size_t>(f.head_end - f.head_begin)};
  if (!f.text.empty())
    out[n++] = {const_cast<char*>(f.text.data()), f.text.size()};
  if (f.tail && !f.tail->empty())
    out[n++] = {const_cast<char*>(f.tail->data()), f.tail->size()};
  return n;
}

// A frame cut in the middle keeps its unwritten bytes as owned text.
void ws_connection::keep_unwritten(wire_frame& f, size_t written) {
  std::string all(f.head + f.head_begin, f.head + f.head_end);
  all += f.text;
  if (f.tail)
    all += *f.tail;
  f.head_begin = f.head_end = out_frame::header_room;
  f.text = all.substr(written);
  f.tail.reset();
}

void ws_connection::send(std::vector<out_frame> frames) {
  for (auto& f : frames)
    frame_in_place(f, ws::opcode::text, flag_data);
  submit(std::move(frames), true);
}

size_t ws_connection::queued_frames() {
  std::lock_guard<spin_lock> lock(wmutex_);
  return wqueue_.size();
}

void ws_connection::ping() {
  std::vector<wire_frame> one;
  one.push_back(control_frame(ws::opcode::ping, {}));
  submit(std::move(one), false);
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

// ---- write side ------------------------------------------------------------

void ws_connection::submit(std::vector<wire_frame>&& frames, bool data) {
  std::vector<wire_frame> batch;
  {
    std::lock_guard<spin_lock> lock(wmutex_);
    if (wclosed_ || (data && data_closed_))
      return;
    if (data && wqueue_.size() + frames.size() > limits_.outbound_queue_max) {
      wqueue_.clear();
      data_closed_ = true;
      ++counters_.slow_consumer_closes;
      asio::post(socket_.get_executor(), [self = shared_from_this()] {
        log::info("net", "connection " + std::to_string(self->id_) +
                             ": outbound queue full (session.outbound_queue_max), closing 1013");
        self->start_close(close_code::try_again_later, "slow consumer: outbound queue full", true);
      });
      return;
    }
    if (frames.size() > 0 && (frames.back().transport_flags & flag_close))
      data_closed_ = true;
    if (wqueue_.empty())
      wqueue_.swap(frames);
    else
      for (auto& f : frames)
        wqueue_.push_back(std::move(f));
    if (writer_)
      return; // the current writer picks them up
    writer_ = direct_ = true;
    batch.swap(wqueue_);
  }
  write_batch(std::move(batch));
}

// Runs in whichever thread holds the writer token.
void ws_connection::write_batch(std::vector<wire_frame> batch) {
  for (;;) {
    bool had_close = false;
    for (auto& f : batch)
      had_close |= (f.transport_flags & flag_close) != 0;
    auto result = write_nonblocking(batch);
    if (result == write_result::failed) {
      {
        std::lock_guard<spin_lock> lock(wmutex_);
        wqueue_.clear();
        wclosed_ = true;
      }
      release_writer();
      post_finish();
      return;
    }
    if (result == write_result::would_block) {
      // The client is not keeping up: Asio waits for the socket on the strand,
      // which keeps the writer token until the queue is drained.
      bool deferred;
      {
        std::lock_guard<spin_lock> lock(wmutex_);
        direct_ = false;
        deferred = finish_deferred_;
        finish_deferred_ = false;
      }
      asio::post(socket_.get_executor(),
                 [self = shared_from_this(), b = std::move(batch)]() mutable {
                   self->write_async(std::move(b));
                 });
      if (deferred)
        post_finish();
      return;
    }
    if (had_close)
      asio::post(socket_.get_executor(),
                 [self = shared_from_this()] { self->after_close_frame(); });
    batch.clear();
    bool deferred = false;
    {
      std::lock_guard<spin_lock> lock(wmutex_);
      if (wqueue_.empty() || wclosed_)
        deferred = drop_writer_locked();
      else
        batch.swap(wqueue_);
    }
    if (batch.empty()) {
      if (deferred)
        post_finish();
      return;
    }
  }
}

// Gives up the writer token and the raw descriptor in one step, so no other
// thread can take the token in between and lose its own `direct_` mark.
// True when a finish waited for the descriptor: the caller posts it.
bool ws_connection::drop_writer_locked() {
  writer_ = false;
  pong_waiting_ = false; // the queue is written out, the pong with it
  direct_ = false;
  return std::exchange(finish_deferred_, false);
}

void ws_connection::post_finish() {
  asio::post(socket_.get_executor(),
             [self = shared_from_this()] { self->finish(self->close_code_, self->resumable_); });
}

// Lets go of the raw descriptor; a finish that waited for it runs now.
void ws_connection::release_writer() {
  bool deferred;
  {
    std::lock_guard<spin_lock> lock(wmutex_);
    if (!direct_ && writer_)
      return; // handed over to the strand's async write, which still holds the token
    direct_ = false;
    deferred = finish_deferred_;
    finish_deferred_ = false;
  }
  if (deferred)
    post_finish();
}

// Writes as much of `batch` as the socket takes now; leaves the rest in it.
ws_connection::write_result ws_connection::write_nonblocking(std::vector<wire_frame>& batch) {
  iovec iov[max_buffers];
  size_t done = 0; // frames fully written
  uint64_t data_written = 0;
  auto result = write_result::done;
  while (done < batch.size()) {
    int n = 0;
    size_t end = std::min(batch.size(), done + max_frames_per_write);
    for (size_t i = done; i < end; ++i)
      n += add_buffers(batch[i], iov + n);
    ssize_t w = gather_write(fd_, iov, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      result = errno == EAGAIN ? write_result::would_block : write_result::failed;
      break;
    }
    ++counters_.socket_writes;
    // Drop what went out; a frame cut in the middle keeps its rest as owned text.
    size_t left = static_cast<size_t>(w);
    size_t i = done;
    for (; i < end; ++i) {
      auto& f = batch[i];
      size_t len = wire_size(f);
      if (left < len)
        break;
      left -= len;
      data_written += (f.transport_flags & flag_data) != 0;
    }
    done = i;
    if (i < end) {
      keep_unwritten(batch[i], left);
      result = write_result::would_block;
      break;
    }
  }
  counters_.total_messages += data_written;
  batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(done));
  return batch.empty() ? write_result::done : result;
}

void ws_connection::write_async(std::vector<wire_frame> batch) {
  if (finished_)
    return;
  async_ = std::make_unique<async_write_state>();
  async_->frames = std::move(batch);
  auto& buffers = async_->buffers;
  for (auto& f : async_->frames) {
    buffers.emplace_back(
        asio::buffer(f.head + f.head_begin, static_cast<size_t>(f.head_end - f.head_begin)));
    if (!f.text.empty())
      buffers.emplace_back(asio::buffer(f.text));
    if (f.tail && !f.tail->empty())
      buffers.emplace_back(asio::buffer(*f.tail));
  }
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      self->on_async_written(ec);
                    });
}

void ws_connection::on_async_written(boost::system::error_code ec) {
  if (finished_)
    return;
  if (ec) {
    {
      std::lock_guard<spin_lock> lock(wmutex_);
      wqueue_.clear();
      wclosed_ = true;
      writer_ = false;
    }
    return finish(close_code_, resumable_);
  }
  uint64_t data = 0;
  bool had_close = false;
  for (auto& f : async_->frames) {
    data += (f.transport_flags & flag_data) != 0;
    had_close |= (f.transport_flags & flag_close) != 0;
  }
  counters_.total_messages += data;
  ++counters_.socket_writes;
  async_.reset(); // a burst is over: keep no big buffers
  if (had_close)
    after_close_frame();
  std::vector<wire_frame> batch;
  {
    std::lock_guard<spin_lock> lock(wmutex_);
    if (wqueue_.empty() || wclosed_) {
      writer_ = false;
      pong_waiting_ = false;
      return;
    }
    batch.swap(wqueue_);
    direct_ = true;
  }
  write_batch(std::move(batch));
}

// Our close frame is out: if we are not waiting for the peer's answer, we are done.
void ws_connection::after_close_frame() {
  close_written_ = true;
  if (!reading_)
    finish(close_code_, resumable_);
}

// ---- read side (strand) ------------------------------------------------------

void ws_connection::do_read() {
  socket_.async_wait(
      tcp::socket::wait_read,
      [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
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
    if (ec) // EOF or reset without a close frame: the client may resume
      return finish(close_code_, resumable_);
    msgs.clear();
    if (!partial_) {
      auto used = parser_.parse(read_buffer, n, msgs);
      if (!parser_.error() && used < n)
        partial_ = std::make_unique<std::string>(read_buffer + used, n - used);
    } else {
      partial_->append(read_buffer, n);
      auto used = parser_.parse(partial_->data(), partial_->size(), msgs);
      partial_->erase(0, used);
      if (partial_->empty())
        partial_.reset();
    }
    for (auto& m : msgs)
      if (!handle(m))
        return;
    report_control_frames();
    // The parser never keeps more than one frame header plus a message's
    // bytes unparsed; more means a bug there, and must not become memory.
    if (partial_ && partial_->size() > limits_.max_message_bytes + 14) {
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

// Returns false when the connection stops reading.
bool ws_connection::handle(ws::message& m) {
  switch (m.op) {
    case ws::opcode::text:
      ++counters_.messages_in;
      if (port_)
        port_->on_text(std::move(m.payload));
      return true;
    case ws::opcode::ping: {
      // At most one pong waits to be written (RFC 6455 §5.5.3 lets us answer
      // only the latest ping): a client that pings and never reads cannot
      // grow the queue. The session counts pings in its frame rate limit.
      bool answer;
      {
        std::lock_guard<spin_lock> lock(wmutex_);
        answer = !std::exchange(pong_waiting_, true);
      }
      if (answer) {
        std::vector<wire_frame> pong;
        pong.push_back(control_frame(ws::opcode::pong, m.payload));
        submit(std::move(pong), false);
      }
      ++control_frames_;
      return true;
    }
    case ws::opcode::pong:
      ++control_frames_;
      return true;
    case ws::opcode::close: {
      reading_ = false;
      if (close_sent_) { // the answer to our close
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
      close_sent_ = true;
      tell_session(close_code_, resumable_);
      std::vector<wire_frame> echo;
      echo.push_back(info.code == close_code::no_status
                         ? control_frame(ws::opcode::close, {})
                         : control_frame(ws::opcode::close, ws::close_payload(info.code, {})));
      submit(std::move(echo), false);
      return false;
    }
    default:
      return true;
  }
}

// ---- closing (strand) ----------------------------------------------------------

void ws_connection::start_close(uint16_t code, std::string_view reason, bool resumable) {
  if (finished_ || close_sent_)
    return;
  close_code_ = code;
  resumable_ = resumable;
  close_sent_ = true;
  if (!reading_) // a protocol violation: the session ends now
    tell_session(code, resumable);
  close_timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
  close_timer_->expires_after(std::chrono::milliseconds(limits_.close_timeout_ms));
  close_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec)
      self->finish(self->close_code_, self->resumable_);
  });
  std::vector<wire_frame> frame;
  frame.push_back(control_frame(ws::opcode::close, ws::close_payload(code, reason)));
  submit(std::move(frame), false);
}

void ws_connection::abort_close(uint16_t code, std::string_view reason, bool resumable) {
  if (finished_)
    return;
  bool idle;
  {
    std::lock_guard<spin_lock> lock(wmutex_);
    idle = !writer_ && wqueue_.empty();
    if (idle)
      writer_ = true; // keep every other writer off while we offer the close frame
  }
  if (idle && !close_sent_) {
    // Offer the close frame only if the socket takes it right now.
    auto frame = ws::encode_close(code, reason);
    boost::system::error_code ec;
    socket_.write_some(asio::buffer(frame), ec);
  }
  {
    std::lock_guard<spin_lock> lock(wmutex_);
    wclosed_ = true;
    if (idle)
      writer_ = false;
  }
  finish(code, resumable);
}

void ws_connection::finish(uint16_t code, bool resumable) {
  if (finished_)
    return;
  close_code_ = code;
  resumable_ = resumable;
  {
    std::lock_guard<spin_lock> lock(wmutex_);
    wclosed_ = true;
    wqueue_.clear();
    if (direct_) { // another thread is in writev on the descriptor: close after it
      finish_deferred_ = true;
      return;
    }
  }
  finished_ = true;
  boost::system::error_code ec;
  if (close_timer_)
    close_timer_->cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  --counters_.active_connections;
  tell_session(code, resumable);
}

void ws_connection::tell_session(uint16_t code, bool resumable) {
  if (port_) {
    port_->on_closed(id_, code, resumable);
    port_.reset();
  }
}

} // namespace herald::net

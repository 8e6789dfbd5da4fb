#include "net/socket_writer.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>
#include <mutex> // std::lock_guard
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <utility>

namespace herald::net {

namespace {

// Gathered writes: at most this many frames per writev (up to three buffers
// each, below IOV_MAX).
constexpr size_t max_frames_per_write = 300;
constexpr size_t max_buffers = 3 * max_frames_per_write;

// Small batches are copied into one buffer and sent with a single send(2):
// cheaper in the kernel than a writev of many tiny pieces.
constexpr size_t copy_limit = 16384;
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

using guard = std::lock_guard<spin_lock>;

} // namespace

socket_writer::socket_writer(int fd, owner& owner, const connection_limits& limits,
                             server_counters& counters)
    : fd_(fd), counters_(counters), owner_(owner), limits_(limits) {}

// Writes the WebSocket header right in front of the frame's prefix.
void socket_writer::frame_in_place(out_frame& f, ws::opcode op, uint8_t flags) {
  char header[ws::max_header];
  auto n = ws::write_header(header, op, f.payload_size());
  f.head_begin = static_cast<uint8_t>(out_frame::header_room - n);
  std::memcpy(f.head + f.head_begin, header, n);
  f.transport_flags = flags;
}

socket_writer::wire_frame socket_writer::control_frame(ws::opcode op, std::string_view payload) {
  wire_frame w;
  w.text = std::string(payload);
  frame_in_place(w, op, op == ws::opcode::close ? flag_close : 0);
  return w;
}

// --- any thread ------------------------------------------------------------------

void socket_writer::send(out_frame frame) {
  frame_in_place(frame, ws::opcode::text, flag_data);
  bool take;
  {
    guard lock(lock_);
    if (intake_ != intake::open)
      return;
    take = state_ == write_state::idle && queue_.empty();
    if (take)
      state_ = write_state::direct;
  }
  if (take)
    return write_one(std::move(frame));
  std::vector<wire_frame> one; // someone is writing: the frame joins the queue
  one.push_back(std::move(frame));
  submit(std::move(one), true);
}

void socket_writer::send(std::vector<out_frame> frames) {
  for (auto& f : frames)
    frame_in_place(f, ws::opcode::text, flag_data);
  submit(std::move(frames), true);
}

void socket_writer::send_control(wire_frame frame) {
  std::vector<wire_frame> one;
  one.push_back(std::move(frame));
  submit(std::move(one), false);
}

bool socket_writer::claim_pong() {
  guard lock(lock_);
  return !std::exchange(pong_queued_, true);
}

size_t socket_writer::queued_frames() {
  guard lock(lock_);
  return queue_.size();
}

void socket_writer::submit(std::vector<wire_frame>&& frames, bool data) {
  std::vector<wire_frame> batch;
  {
    guard lock(lock_);
    if (intake_ == intake::closed || (data && intake_ == intake::control_only))
      return;
    if (data && queue_.size() + frames.size() > limits_.outbound_queue_max) {
      queue_.clear();
      intake_ = intake::control_only;
      ++counters_.slow_consumer_closes;
      asio::post(owner_.socket().get_executor(),
                 [keep = owner_.keep_alive(), this] { owner_.on_slow_consumer(); });
      return;
    }
    if (!frames.empty() && (frames.back().transport_flags & flag_close))
      intake_ = intake::control_only;
    if (queue_.empty())
      queue_.swap(frames);
    else
      for (auto& f : frames)
        queue_.push_back(std::move(f));
    if (state_ != write_state::idle)
      return; // the current writer picks them up
    state_ = write_state::direct;
    batch.swap(queue_);
  }
  write_batch(std::move(batch));
}

// Holding the token with nothing queued: writes one frame straight from the
// stack (no batch to build); the rest, if any, goes the general way.
void socket_writer::write_one(wire_frame frame) {
  iovec iov[3];
  int n = add_buffers(frame, iov);
  ssize_t w;
  do
    w = gather_write(fd_, iov, n);
  while (w < 0 && errno == EINTR);
  std::vector<wire_frame> rest;
  if (w >= 0 && static_cast<size_t>(w) == wire_size(frame)) {
    ++counters_.socket_writes;
    ++counters_.total_messages;
    bool finish_waits = false;
    {
      guard lock(lock_);
      if (queue_.empty() || intake_ == intake::closed)
        finish_waits = end_direct_locked();
      else
        rest.swap(queue_); // queued meanwhile: this thread writes it too
    }
    if (rest.empty()) {
      if (finish_waits)
        post_done();
      return;
    }
  } else if (w >= 0) {
    ++counters_.socket_writes;
    keep_unwritten(frame, static_cast<size_t>(w));
    rest.push_back(std::move(frame));
  } else {
    rest.push_back(std::move(frame)); // EAGAIN or an error: write_batch sees it again
  }
  write_batch(std::move(rest));
}

// Runs in whichever thread holds the token in state direct.
void socket_writer::write_batch(std::vector<wire_frame> batch) {
  for (;;) {
    bool had_close = false;
    for (auto& f : batch)
      had_close |= (f.transport_flags & flag_close) != 0;
    auto result = write_nonblocking(batch);
    if (result == write_result::failed)
      return fail();
    if (result == write_result::would_block) {
      // The client is not keeping up: Asio waits for the socket on the
      // strand, which keeps the token until the queue is drained.
      bool finish_waits;
      {
        guard lock(lock_);
        finish_waits = state_ == write_state::direct_then_finish;
        state_ = write_state::async;
      }
      asio::post(owner_.socket().get_executor(),
                 [keep = owner_.keep_alive(), this, b = std::move(batch)]() mutable {
                   write_async(std::move(b));
                 });
      if (finish_waits)
        post_done();
      return;
    }
    if (had_close)
      post_close_written();
    batch.clear();
    bool finish_waits = false;
    {
      guard lock(lock_);
      if (queue_.empty() || intake_ == intake::closed)
        finish_waits = end_direct_locked();
      else
        batch.swap(queue_);
    }
    if (batch.empty()) {
      if (finish_waits)
        post_done();
      return;
    }
  }
}

bool socket_writer::end_direct_locked() {
  bool finish_waits = state_ == write_state::direct_then_finish;
  state_ = write_state::idle;
  pong_queued_ = false; // the queue is written out, the pong with it
  return finish_waits;
}

// The socket failed: nothing more is written, and the connection finishes.
void socket_writer::fail() {
  {
    guard lock(lock_);
    queue_.clear();
    intake_ = intake::closed;
    state_ = write_state::failed;
  }
  post_done();
}

void socket_writer::post_done() {
  asio::post(owner_.socket().get_executor(),
             [keep = owner_.keep_alive(), this] { owner_.on_writer_done(); });
}

void socket_writer::post_close_written() {
  asio::post(owner_.socket().get_executor(),
             [keep = owner_.keep_alive(), this] { owner_.on_close_frame_written(); });
}

// A frame's bytes as up to three buffers (header and prefix, own text,
// shared tail); returns how many it wrote.
int socket_writer::add_buffers(const wire_frame& f, iovec* out) {
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
void socket_writer::keep_unwritten(wire_frame& f, size_t written) {
  std::string all(f.head + f.head_begin, f.head + f.head_end);
  all += f.text;
  if (f.tail)
    all += *f.tail;
  f.head_begin = f.head_end = out_frame::header_room;
  f.text = all.substr(written);
  f.tail.reset();
}

// Writes as much of `batch` as the socket takes now; leaves the rest in it.
socket_writer::write_result socket_writer::write_nonblocking(std::vector<wire_frame>& batch) {
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

// --- strand ------------------------------------------------------------------------

void socket_writer::write_async(std::vector<wire_frame> batch) {
  if (owner_.socket_closed())
    return;
  async_ = std::make_unique<async_write>();
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
  asio::async_write(owner_.socket(), buffers,
                    [keep = owner_.keep_alive(), this](boost::system::error_code ec, size_t) {
                      on_async_written(ec);
                    });
}

void socket_writer::on_async_written(boost::system::error_code ec) {
  if (owner_.socket_closed())
    return;
  if (ec) {
    {
      guard lock(lock_);
      queue_.clear();
      intake_ = intake::closed;
      state_ = write_state::failed;
    }
    return owner_.on_writer_done();
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
    owner_.on_close_frame_written();
  std::vector<wire_frame> batch;
  {
    guard lock(lock_);
    if (queue_.empty() || intake_ == intake::closed) {
      state_ = write_state::idle;
      pong_queued_ = false;
      return;
    }
    batch.swap(queue_);
    state_ = write_state::direct;
  }
  write_batch(std::move(batch));
}

bool socket_writer::hold_if_idle() {
  guard lock(lock_);
  bool idle = state_ == write_state::idle && queue_.empty();
  if (idle)
    state_ = write_state::held; // every other writer stays off while the strand writes
  return idle;
}

void socket_writer::end_abort(bool held) {
  guard lock(lock_);
  intake_ = intake::closed;
  if (held)
    state_ = write_state::idle;
}

bool socket_writer::close_for_finish() {
  guard lock(lock_);
  intake_ = intake::closed;
  queue_.clear();
  if (state_ == write_state::direct || state_ == write_state::direct_then_finish) {
    // Another thread is in writev on the descriptor: the socket closes after it.
    state_ = write_state::direct_then_finish;
    return false;
  }
  return true;
}

socket_writer::write_state socket_writer::state_for_tests() {
  guard lock(lock_);
  return state_;
}

socket_writer::intake socket_writer::intake_for_tests() {
  guard lock(lock_);
  return intake_;
}

} // namespace herald::net

// The socket writer over a real socketpair: direct writes, the hand-off to
// Asio when the reader is slow, the outbound limit, the close frame, a
// failed socket, and many threads sending at once.
#include "net/socket_writer.hpp"

#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace herald;
using namespace herald::net;
using state = socket_writer::write_state;

namespace {

struct recorded_owner final : socket_writer::owner {
  explicit recorded_owner(tcp::socket& s) : sock(s) {}
  tcp::socket& sock;
  std::atomic<int> slow{0}, close_written{0}, done{0};
  std::shared_ptr<void> keep_alive() override { return std::make_shared<int>(0); }
  tcp::socket& socket() override { return sock; }
  bool socket_closed() override { return false; }
  void on_slow_consumer() override { ++slow; }
  void on_close_frame_written() override { ++close_written; }
  void on_writer_done() override { ++done; }
};

// A frame as a client receives it (unmasked, server to client).
struct frame {
  int opcode = 0;
  std::string payload;
};

struct writer_fixture {
  boost::asio::io_context ioc;
  int peer = -1;
  tcp::socket socket{ioc};
  recorded_owner owner{socket};
  connection_limits limits;
  server_counters counters;
  std::unique_ptr<socket_writer> writer;
  std::string received; // bytes read from the peer, not yet parsed

  explicit writer_fixture(uint64_t outbound_queue_max = 100000) {
    std::signal(SIGPIPE, SIG_IGN); // as herald does: a closed peer is an error, not a signal
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    int small = 4096; // a slow reader is reached quickly
    ::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    ::setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    socket.assign(tcp::v4(), sv[0]);
    socket.non_blocking(true);
    peer = sv[1];
    limits.outbound_queue_max = outbound_queue_max;
    writer = std::make_unique<socket_writer>(sv[0], owner, limits, counters);
  }
  ~writer_fixture() {
    if (peer >= 0)
      ::close(peer);
  }

  static out_frame text(const std::string& s) { return out_frame::owned(s); }

  // Runs the strand's work that is ready (a context that ran out of work
  // stops, and must be restarted to run what is posted later).
  void poll() {
    ioc.restart();
    ioc.poll();
  }

  // Reads what is there now (blocking until at least `at_least` bytes came).
  void read_some(size_t at_least = 1) {
    char buf[65536];
    size_t got = 0;
    while (got < at_least) {
      auto n = ::recv(peer, buf, sizeof buf, 0);
      REQUIRE(n > 0);
      received.append(buf, size_t(n));
      got += size_t(n);
    }
  }
  std::vector<frame> frames() {
    std::vector<frame> out;
    size_t at = 0;
    for (;;) {
      if (received.size() - at < 2)
        break;
      auto b0 = uint8_t(received[at]), b1 = uint8_t(received[at + 1]);
      size_t header = 2, len = b1 & 0x7f;
      REQUIRE(len != 127); // the tests send nothing of 64 KiB or more
      if (len == 126) {
        if (received.size() - at < 4)
          break;
        len = (size_t(uint8_t(received[at + 2])) << 8) | uint8_t(received[at + 3]);
        header = 4;
      }
      if (received.size() - at < header + len)
        break;
      out.push_back({b0 & 0x0f, received.substr(at + header, len)});
      at += header + len;
    }
    received.erase(0, at);
    return out;
  }
  // Runs the strand's work while a reader drains the peer until `count` frames came.
  std::vector<frame> drain(size_t count) {
    std::vector<frame> got;
    std::atomic<bool> done{false};
    std::thread reader([&] {
      while (got.size() < count) {
        read_some();
        for (auto& f : frames())
          got.push_back(std::move(f));
      }
      done = true;
    });
    while (!done) {
      ioc.restart(); // run_for stops the context when it runs out of work
      ioc.run_for(std::chrono::milliseconds(5));
    }
    reader.join();
    poll();
    return got;
  }
};

} // namespace

TEST_CASE("writer: a send on an idle writer goes out from the calling thread at once") {
  writer_fixture f;
  f.writer->send(writer_fixture::text("hello"));
  CHECK(f.writer->state_for_tests() == state::idle);
  f.read_some(7);
  auto got = f.frames();
  REQUIRE(got.size() == 1);
  CHECK(got[0].opcode == 1);
  CHECK(got[0].payload == "hello");
  CHECK(f.counters.total_messages.load() == 1);
  CHECK(f.counters.socket_writes.load() == 1);
}

TEST_CASE("writer: a reader that does not keep up: the rest goes on the strand, in order") {
  writer_fixture f;
  const size_t n = 400;
  for (size_t i = 0; i < n; ++i)
    f.writer->send(writer_fixture::text(std::to_string(i) + std::string(500, '.')));
  CHECK(f.writer->state_for_tests() == state::async);
  CHECK(f.writer->queued_frames() > 0);
  auto got = f.drain(n);
  REQUIRE(got.size() == n);
  for (size_t i = 0; i < n; ++i)
    CHECK(got[i].payload == std::to_string(i) + std::string(500, '.'));
  CHECK(f.writer->state_for_tests() == state::idle);
  CHECK(f.writer->queued_frames() == 0);
  CHECK(f.counters.total_messages.load() == n);
}

TEST_CASE("writer: over outbound_queue_max the connection hears of a slow consumer; control frames "
          "still go") {
  writer_fixture f(50);
  for (int i = 0; i < 200 && f.owner.slow == 0; ++i) {
    f.writer->send(writer_fixture::text(std::string(1000, 'x')));
    f.poll();
  }
  CHECK(f.owner.slow == 1);
  CHECK(f.counters.slow_consumer_closes == 1);
  CHECK(f.writer->intake_for_tests() == socket_writer::intake::control_only);
  auto before = f.writer->queued_frames();
  f.writer->send(writer_fixture::text("dropped"));
  CHECK(f.writer->queued_frames() == before);
  f.writer->send_control(socket_writer::control_frame(ws::opcode::close, "\x03\xf3"));
  auto got = f.drain(1); // what the socket held, then the close frame
  while (got.empty() || got.back().opcode != 8) {
    auto more = f.drain(1);
    got.insert(got.end(), more.begin(), more.end());
  }
  CHECK(got.back().payload == "\x03\xf3");
  for (auto& fr : got)
    CHECK(fr.payload != "dropped");
  CHECK(f.owner.close_written == 1);
}

TEST_CASE("writer: after a close frame no data is taken, and its writing is reported") {
  writer_fixture f;
  f.writer->send_control(socket_writer::control_frame(ws::opcode::close, "\x03\xe8"));
  f.writer->send(writer_fixture::text("late"));
  f.poll();
  CHECK(f.owner.close_written == 1);
  f.read_some(4);
  auto got = f.frames();
  REQUIRE(got.size() == 1);
  CHECK(got[0].opcode == 8);
  CHECK(f.writer->close_for_finish()); // idle: the connection may close the socket now
}

TEST_CASE("writer: a peer that is gone fails the writer once, and nothing is written after") {
  writer_fixture f;
  ::close(f.peer);
  f.peer = -1;
  f.writer->send(writer_fixture::text("into the void"));
  f.writer->send(std::vector<out_frame>{});
  f.poll();
  CHECK(f.writer->state_for_tests() == state::failed);
  CHECK(f.owner.done == 1);
  f.writer->send(writer_fixture::text("again"));
  f.poll();
  CHECK(f.owner.done == 1);
  CHECK(f.writer->close_for_finish());
}

TEST_CASE("writer: one pong waits at most, until the queue is written out") {
  writer_fixture f;
  CHECK(f.writer->claim_pong());
  CHECK_FALSE(f.writer->claim_pong());
  f.writer->send_control(socket_writer::control_frame(ws::opcode::pong, ""));
  CHECK(f.writer->claim_pong());
}

TEST_CASE(
    "writer: threads sending at once hand the socket over; each thread's frames stay in order") {
  writer_fixture f;
  const int threads = 4, per_thread = 3000;
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t)
    senders.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        if (i % 7 == 0) {
          std::vector<out_frame> batch;
          batch.push_back(writer_fixture::text(std::to_string(t) + ":" + std::to_string(i)));
          f.writer->send(std::move(batch));
        } else {
          f.writer->send(writer_fixture::text(std::to_string(t) + ":" + std::to_string(i)));
        }
      }
    });
  auto got = f.drain(size_t(threads * per_thread));
  for (auto& s : senders)
    s.join();
  std::vector<int> next(threads, 0);
  for (auto& fr : got) {
    auto colon = fr.payload.find(':');
    int t = std::stoi(fr.payload.substr(0, colon)), i = std::stoi(fr.payload.substr(colon + 1));
    CHECK(i == next[size_t(t)]);
    next[size_t(t)] = i + 1;
  }
  for (int t = 0; t < threads; ++t)
    CHECK(next[size_t(t)] == per_thread);
  CHECK(f.counters.total_messages.load() == uint64_t(threads * per_thread));
}

#pragma once
// Every store backend behind one helper, so each store test case runs
// against all of them: memory, a real SQLite file, and (when redis-server
// is installed) a real Redis started on a free port.
#include "persistence/memory_store.hpp"
#include "persistence/sqlite_store.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unistd.h>

namespace herald::test {

// A fresh folder under the system temp dir, removed when the object goes.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "herald-test-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline persistence::inbox_limits small_limits() {
  return {5, std::chrono::milliseconds(60'000)};
}

} // namespace herald::test

#include "persistence/redis_manager.hpp"
#include "persistence/redis_store.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>

extern char** environ;

namespace herald::test {

inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A real redis-server on a free loopback port, saving nothing, killed with
// the object. start() again after stop() reuses the port (a Redis restart).
class redis_process {
public:
  redis_process() : port_(free_port()) {}
  ~redis_process() { stop(); }

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

  // False (with the reason in `error`) when redis-server cannot be started.
  bool start(std::string& error) {
    auto port = std::to_string(port_);
    std::vector<std::string> args{
        "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", dir_.path.string(), "--protected-mode", "no", "--loglevel", "warning",
        // Redis 7 refuses DEBUG (SLEEP makes a busy server) unless allowed.
        "--enable-debug-command", "local"};
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&pid_, "redis-server", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      error =
          "cannot run redis-server (install Debian's redis-server): " + std::string(strerror(rc));
      pid_ = 0;
      return false;
    }
    for (int i = 0; i < 200; ++i) {
      try {
        persistence::redis_endpoint e;
        e.port = port_;
        persistence::redis_connection c(e, std::chrono::milliseconds(200),
                                        std::chrono::milliseconds(500));
        if (c.pipeline({{"PING"}})[0].str == "PONG")
          return true;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    error = "redis-server did not answer on port " + port;
    return false;
  }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = 0;
    }
  }

private:
  temp_dir dir_;
  int port_;
  pid_t pid_ = 0;
};

// One Redis for the whole test binary, started on first use.
inline redis_process& shared_redis() {
  static redis_process redis;
  static std::string error;
  static bool ok = redis.start(error);
  if (!ok)
    FAIL((std::string("Redis tests need a real redis-server: ") + error));
  return redis;
}

inline persistence::redis_options redis_options_for(const redis_process& r) {
  persistence::redis_options o;
  o.endpoint.port = r.port();
  o.connect_timeout = std::chrono::milliseconds(500);
  o.command_timeout = std::chrono::milliseconds(1000);
  o.health_interval = std::chrono::milliseconds(100);
  o.backoff_min = std::chrono::milliseconds(20);
  o.backoff_max = std::chrono::milliseconds(200);
  return o;
}

// A connected manager: start() returns once the connection is up.
inline bool wait_until(const std::function<bool()>& ok,
                       std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (ok())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ok();
}

// Runs `body` against a fresh store of every backend.
inline void for_each_backend(const std::function<void(persistence::store&)>& body,
                             persistence::inbox_limits limits = small_limits()) {
  using namespace persistence;
  static int test_counter = 0;
  SUBCASE("memory") {
    memory_store s(limits);
    body(s);
  }
  SUBCASE("sqlite") {
    temp_dir dir;
    sqlite_store s((dir.path / "sub" / "h.db").string(), limits);
    body(s);
  }
  SUBCASE("redis") {
    auto& server = shared_redis();
    redis_manager redis(redis_options_for(server));
    redis.start();
    REQUIRE(wait_until([&] { return redis.up(); }));
    // A prefix of its own: no test sees another's keys.
    redis_store s(redis, "t" + std::to_string(++test_counter) + ":", limits, "test-node",
                  {"hook", "other"});
    body(s);
  }
}

} // namespace herald::test

// herald-loadgen: opens N WebSocket clients against a server on loopback and
// measures it (see bench/README.md). One thread, raw epoll, no allocation per
// received frame. Prints one JSON object with every figure on stdout.
//
// The server must speak the minimal bench protocol: clients connect to
// --path and are subscribed to one broadcast channel; an HTTP POST to
// --publish-path broadcasts; {"type":"ping"} is answered with a frame
// containing "pong". Published frames carry "t":<ns since epoch> and "n":<i>.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/ws";
  std::string publish_path = "/api/v1/publish";
  // herald (broadcast) | herald-user (to user "bench") | herald-channel (to channel "bench.c") |
  // raw
  std::string publish_body = "herald";
  std::string api_key;
  int clients = 1000;
  int source_ips = 8; // 127.0.0.1 .. 127.0.0.N
  int server_pid = 0;
  bool expect_welcome = true; // first text frame after the handshake marks "ready"
  int latency_rate = 20;      // publishes per second in the latency phase
  double latency_seconds = 3;
  int burst = 200;        // publishes in the burst phase
  int burst_parallel = 4; // publisher connections in the burst phase
  int pings = 2000;       // app pings in the ping phase
  bool ping = true;
  double settle_seconds = 1.0;
  // Passive: only connect and receive (another load generator publishes on
  // another node). Expects `expect` events per client; the first
  // `latency_count` are the fixed-rate ones, the rest the burst.
  bool listen_only = false;
  int expect = 0;
  int latency_count = 0;
  double timeout = 120;
  // Raw bodies only: padded with a "pad" string to this many bytes, so a
  // peer's frames are as large as Herald's event frames (~160 bytes).
  int frame_bytes = 0;
};

int64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double mono_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::atol(line.c_str() + 6);
  return -1;
}

// User and system CPU time of a process in µs (utime, stime).
std::pair<double, double> cpu_split_us(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), {});
  auto close = all.rfind(')');
  if (close == std::string::npos)
    return {0, 0};
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14)
      utime = std::stoull(field);
    if (i == 15)
      stime = std::stoull(field);
  }
  double tick = double(sysconf(_SC_CLK_TCK));
  return {utime * 1e6 / tick, stime * 1e6 / tick};
}

double own_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double cpu_us(int pid) {
  auto [user, system] = cpu_split_us(pid);
  return user + system;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty())
    return -1;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5));
  return v[i];
}

// Finds `"key":<integer>` in a frame payload.
bool find_int(const char* p, size_t n, const char* key, int64_t& out) {
  size_t klen = std::strlen(key);
  for (size_t i = 0; i + klen < n; ++i) {
    if (p[i] == '"' && std::memcmp(p + i + 1, key, klen) == 0 && p[i + 1 + klen] == '"' &&
        i + klen + 2 < n && p[i + klen + 2] == ':') {
      size_t j = i + klen + 3;
      while (j < n && p[j] == ' ')
        ++j;
      int64_t v = 0;
      bool any = false;
      while (j < n && p[j] >= '0' && p[j] <= '9') {
        v = v * 10 + (p[j++] - '0');
        any = true;
      }
      if (any) {
        out = v;
        return true;
      }
    }
  }
  return false;
}

enum class conn_state { connecting, handshake, open, closed };

struct client {
  int fd = -1;
  conn_state state = conn_state::connecting;
  std::string in; // unparsed bytes (usually empty)
  bool ready = false;
  int64_t received = 0; // bench frames received
  int64_t last_n = -1;
  int64_t out_of_order = 0; // counted while one publisher publishes in order
  int64_t duplicates = 0;
  std::vector<bool> seen; // by publish number
  double ping_sent = 0;
  int64_t ping_sent_rt = 0;
};

struct publisher {
  int fd = -1;
  std::string in;
  bool busy = false;
  int64_t answered = 0;
  int64_t failed = 0;
  int64_t stored = 0; // answers saying "stored":true
};

struct loadgen {
  options opt;
  int ep = -1;
  std::vector<client> clients;
  std::vector<publisher> pubs;
  std::vector<double> latencies_ms;
  // Per publish (by its n) of the fixed-rate phase: its last frame's latency,
  // i.e. how long the whole fan-out took.
  std::vector<double> fanout_done_ms;
  std::vector<double> ping_ms;
  bool record_latency = false;
  int64_t frames_total = 0;
  int64_t received_sum = 0;       // every client's `received`, summed as they arrive
  int64_t event_frames_total = 0; // frames that carried a publish (t and n)
  int64_t event_bytes_total = 0;  // their payload bytes
  int64_t published = 0;
  int pongs_pending = 0;
  std::string upgrade_request;
  // Where recvmsg copies to: a destination off a cache-line boundary made the
  // kernel's copy slower and the whole burst 30 % slower for the fastest server.
  alignas(64) char buf[1 << 16];
  char ctrl[256];

  explicit loadgen(options o) : opt(std::move(o)) {
    ep = epoll_create1(0);
    std::ostringstream req;
    req << "GET " << opt.path << " HTTP/1.1\r\nHost: " << opt.host << ":" << opt.port
        << "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        << "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    upgrade_request = req.str();
  }

  int open_socket(int index, bool nonblocking) {
    int fd = socket(AF_INET, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) {
      perror("socket");
      std::exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000001 + uint32_t(index % std::max(1, opt.source_ips)));
    bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(uint16_t(opt.port));
    inet_pton(AF_INET, opt.host.c_str(), &dst.sin_addr);
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst);
    if (rc < 0 && errno != EINPROGRESS) {
      perror("connect");
      std::exit(1);
    }
    return fd;
  }

  void watch(int fd, uint64_t tag, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }

  static void send_all(int fd, const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN) {
          usleep(100);
          continue;
        }
        return;
      }
      p += w;
      n -= size_t(w);
    }
  }

  void send_masked_text(int fd, const std::string& text) {
    std::string f;
    f += char(0x81);
    f += char(0x80 | text.size()); // bench pings are short
    const char mask[4] = {1, 2, 3, 4};
    f.append(mask, 4);
    for (size_t i = 0; i < text.size(); ++i)
      f += char(text[i] ^ mask[i & 3]);
    send_all(fd, f.data(), f.size());
  }

  // Handles one server frame of client c, received at kernel time rx_ns.
  void on_frame(client& c, int op, const char* p, size_t n, int64_t rx_ns) {
    if (op == 9) { // protocol ping: answer it, as a browser would
      std::string pong;
      pong += char(0x8a);
      pong += char(0x80 | n);
      pong.append("\0\0\0\0", 4);
      pong.append(p, n);
      send_all(c.fd, pong.data(), pong.size());
      return;
    }
    if (op != 1)
      return;
    ++frames_total;
    int64_t seqno = 0, t = 0;
    if (find_int(p, n, "n", seqno) && find_int(p, n, "t", t)) {
      event_bytes_total += int64_t(n);
      ++event_frames_total;
      if (size_t(seqno) >= c.seen.size())
        c.seen.resize(size_t(seqno) + 64);
      if (c.seen[size_t(seqno)])
        ++c.duplicates;
      c.seen[size_t(seqno)] = true;
      // Burst publishers race each other; only the single-publisher phase has an order.
      if (record_latency && seqno < c.last_n)
        ++c.out_of_order;
      c.last_n = std::max(c.last_n, seqno);
      ++c.received;
      ++received_sum;
      if (opt.listen_only) {
        if (seqno < opt.latency_count)
          latencies_ms.push_back(double(rx_ns - t) / 1e6);
        else
          on_passive_burst_frame();
        return;
      }
      if (record_latency) {
        double ms = double(rx_ns - t) / 1e6;
        latencies_ms.push_back(ms);
        if (size_t(seqno) >= fanout_done_ms.size())
          fanout_done_ms.resize(size_t(seqno) + 64, -1);
        fanout_done_ms[size_t(seqno)] = std::max(fanout_done_ms[size_t(seqno)], ms);
      }
      return;
    }
    if (c.ping_sent > 0 && n < 200 && memmem(p, n, "pong", 4)) {
      ping_ms.push_back(double(rx_ns - c.ping_sent_rt) / 1e6);
      c.ping_sent = 0;
      --pongs_pending;
      return;
    }
    if (!c.ready && opt.expect_welcome)
      c.ready = true;
  }

  void parse_frames(client& c, const char* data, size_t len, int64_t rx_ns) {
    const char* p = data;
    size_t avail = len;
    while (avail >= 2) {
      auto b1 = uint8_t(p[1]) & 0x7f;
      size_t h = 2;
      uint64_t n = b1;
      if (b1 == 126) {
        if (avail < 4)
          break;
        n = (uint64_t(uint8_t(p[2])) << 8) | uint8_t(p[3]);
        h = 4;
      } else if (b1 == 127) {
        if (avail < 10)
          break;
        n = 0;
        for (int i = 0; i < 8; ++i)
          n = (n << 8) | uint8_t(p[2 + i]);
        h = 10;
      }
      if (avail < h + n)
        break;
      on_frame(c, uint8_t(p[0]) & 0x0f, p + h, n, rx_ns);
      p += h + n;
      avail -= h + n;
    }
    c.in.assign(p, avail);
  }

  void on_client_readable(client& c) {
    for (;;) {
      iovec iov{buf, sizeof buf};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = ctrl;
      msg.msg_controllen = sizeof ctrl;
      ssize_t r = recvmsg(c.fd, &msg, 0);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN)
          return;
        c.state = conn_state::closed;
        close(c.fd);
        return;
      }
      int64_t rx_ns = realtime_ns();
      for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
          rx_ns = int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
        }
      const char* data = buf;
      size_t len = size_t(r);
      if (c.state == conn_state::handshake) {
        c.in.append(buf, len);
        auto end = c.in.find("\r\n\r\n");
        if (end == std::string::npos)
          continue;
        if (c.in.compare(9, 3, "101") != 0) {
          std::fprintf(stderr, "upgrade refused: %s\n", c.in.substr(0, c.in.find("\r\n")).c_str());
          std::exit(1);
        }
        c.state = conn_state::open;
        if (!opt.expect_welcome)
          c.ready = true;
        std::string rest = c.in.substr(end + 4);
        c.in.clear();
        parse_frames(c, rest.data(), rest.size(), rx_ns);
        continue;
      }
      if (!c.in.empty()) {
        c.in.append(data, len);
        std::string all;
        all.swap(c.in);
        parse_frames(c, all.data(), all.size(), rx_ns);
      } else {
        parse_frames(c, data, len, rx_ns);
      }
      // Level-triggered: whatever arrives after this read is reported again,
      // so a short read needs no second call to learn the socket is empty.
      if (len < sizeof buf)
        return;
    }
  }

  void reopen_publisher(publisher& p) {
    auto i = size_t(&p - pubs.data());
    if (p.fd >= 0)
      ::close(p.fd); // also leaves the epoll set
    p.fd = open_socket(int(i), false);
    int flags = fcntl(p.fd, F_GETFL);
    fcntl(p.fd, F_SETFL, flags | O_NONBLOCK);
    watch(p.fd, (1ull << 32) + i, EPOLLIN);
  }

  void on_publisher_readable(publisher& p) {
    for (;;) {
      ssize_t r = ::recv(p.fd, buf, sizeof buf, 0);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN)
          return;
        // A server may close a keep-alive connection that stayed idle (Herald:
        // server.request_timeout before the first request): open another.
        if (!p.busy && p.in.empty()) {
          reopen_publisher(p);
          return;
        }
        std::fprintf(stderr, "publisher connection closed\n");
        std::exit(1);
      }
      p.in.append(buf, size_t(r));
      for (;;) {
        auto end = p.in.find("\r\n\r\n");
        if (end == std::string::npos)
          break;
        size_t body = 0;
        auto cl = p.in.find("ontent-Length:");
        if (cl == std::string::npos)
          cl = p.in.find("ontent-length:");
        if (cl != std::string::npos && cl < end)
          body = size_t(std::atol(p.in.c_str() + cl + 14));
        if (p.in.size() < end + 4 + body)
          break;
        int status = std::atoi(p.in.c_str() + 9);
        if (p.in.find("\"stored\":true", end + 4) < end + 4 + body)
          ++p.stored;
        if (status >= 300) {
          ++p.failed;
          std::fprintf(stderr, "publish failed: %s\n", p.in.substr(0, end).c_str());
        }
        p.in.erase(0, end + 4 + body);
        p.busy = false;
        ++p.answered;
      }
    }
  }

  // Runs the event loop for up to `seconds`, or until done() is true.
  template <class Done> void loop(double seconds, Done done) {
    epoll_event events[1024];
    double until = mono_s() + seconds;
    while (!done() && mono_s() < until) {
      int n = epoll_wait(ep, events, 1024, 5);
      for (int i = 0; i < n; ++i) {
        uint64_t tag = events[i].data.u64;
        if (tag >= (1ull << 32)) {
          on_publisher_readable(pubs[tag - (1ull << 32)]);
          continue;
        }
        auto& c = clients[tag];
        if (c.state == conn_state::connecting && (events[i].events & EPOLLOUT)) {
          c.state = conn_state::handshake;
          send_all(c.fd, upgrade_request.data(), upgrade_request.size());
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u64 = tag;
          epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        }
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
          on_client_readable(c);
      }
    }
  }

  void publish(publisher& p, int64_t n) {
    std::string body;
    int64_t t = realtime_ns();
    if (opt.publish_body == "herald-user")
      body = "{\"user\":\"bench\",\"event\":\"bench\",\"data\":{\"t\":" + std::to_string(t) +
             ",\"n\":" + std::to_string(n) + "}}";
    else if (opt.publish_body == "herald-channel")
      body = "{\"channel\":\"bench.c\",\"event\":\"bench\",\"data\":{\"t\":" + std::to_string(t) +
             ",\"n\":" + std::to_string(n) + "}}";
    else if (opt.publish_body == "herald")
      body = "{\"broadcast\":true,\"event\":\"bench\",\"data\":{\"t\":" + std::to_string(t) +
             ",\"n\":" + std::to_string(n) + "}}";
    else {
      body = "{\"t\":" + std::to_string(t) + ",\"n\":" + std::to_string(n);
      constexpr size_t pad_overhead = 10; // ,"pad":"…"} around the padding
      if (opt.frame_bytes > 0 && size_t(opt.frame_bytes) > body.size() + pad_overhead)
        body += ",\"pad\":\"" +
                std::string(size_t(opt.frame_bytes) - body.size() - pad_overhead, 'x') + "\"";
      body += "}";
    }
    std::string req =
        "POST " + opt.publish_path + " HTTP/1.1\r\nHost: " + opt.host +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n";
    if (!opt.api_key.empty())
      req += "Authorization: Bearer " + opt.api_key + "\r\n";
    req += "\r\n" + body;
    p.busy = true;
    send_all(p.fd, req.data(), req.size());
    ++published;
  }

  int64_t received_total() const { return received_sum; }

  int ready_count() const {
    int n = 0;
    for (auto& c : clients)
      n += c.ready;
    return n;
  }

  void run() {
    std::map<std::string, double> out;
    int pid = opt.server_pid;
    out["clients"] = opt.clients;
    out["rss_before_kib"] = pid ? double(rss_kib(pid)) : -1;

    // --- connect -----------------------------------------------------------
    clients.resize(size_t(opt.clients));
    double t0 = mono_s();
    int half = opt.clients / 2;
    double rss_half = -1;
    double paused = 0; // time spent settling for the half-way RSS reading
    for (int i = 0; i < opt.clients; ++i) {
      clients[size_t(i)].fd = open_socket(i, true);
      watch(clients[size_t(i)].fd, uint64_t(i), EPOLLOUT | EPOLLIN);
      if (i % 200 == 199) // keep the accept backlog from overflowing
        loop(0.05, [&] { return ready_count() >= i - 400; });
      if (i + 1 == half) {
        loop(30, [&] { return ready_count() >= half; });
        if (pid) {
          double p0 = mono_s();
          loop(opt.settle_seconds, [] { return false; });
          rss_half = double(rss_kib(pid));
          paused += mono_s() - p0;
        }
      }
    }
    loop(60, [&] { return ready_count() >= opt.clients; });
    double connect_s = mono_s() - t0 - paused;
    int ready = ready_count();
    out["connected"] = ready;
    out["connect_per_s"] = ready / connect_s;
    if (pid) {
      loop(opt.settle_seconds, [] { return false; });
      double rss_full = double(rss_kib(pid));
      out["rss_after_kib"] = rss_full;
      out["rss_per_session_kib"] = (rss_full - out["rss_before_kib"]) / opt.clients;
      out["rss_marginal_second_half_kib"] = (rss_full - rss_half) / (opt.clients - half);
    }
    if (ready < opt.clients) {
      std::fprintf(stderr, "only %d of %d clients connected\n", ready, opt.clients);
      print(out);
      std::exit(1);
    }
    if (opt.listen_only)
      return listen(out);

    // --- publishers ----------------------------------------------------------
    pubs.resize(size_t(std::max(1, opt.burst_parallel)));
    for (auto& p : pubs)
      reopen_publisher(p);

    // --- fan-out latency at a fixed rate --------------------------------------
    int64_t n = 0;
    int64_t expected_per_client = 0;
    record_latency = true;
    auto latency_cpu_before = pid ? cpu_split_us(pid) : std::pair<double, double>{};
    int64_t latency_frames_before = received_total();
    int latency_publishes = int(opt.latency_rate * opt.latency_seconds);
    double interval = 1.0 / opt.latency_rate;
    double next = mono_s();
    for (int i = 0; i < latency_publishes; ++i) {
      loop(std::max(0.0, next - mono_s()), [] { return false; });
      loop(5, [&] { return !pubs[0].busy; });
      publish(pubs[0], n++);
      ++expected_per_client;
      next += interval;
    }
    loop(10, [&] { return received_total() >= expected_per_client * opt.clients; });
    record_latency = false;
    if (pid && received_total() > latency_frames_before) {
      auto [user, system] = cpu_split_us(pid);
      double frames = double(received_total() - latency_frames_before);
      out["latency_cpu_us_per_frame"] =
          (user + system - latency_cpu_before.first - latency_cpu_before.second) / frames;
      out["latency_user_us_per_frame"] = (user - latency_cpu_before.first) / frames;
    }
    out["latency_p50_ms"] = percentile(latencies_ms, 0.50);
    out["latency_p99_ms"] = percentile(latencies_ms, 0.99);
    out["latency_max_ms"] = latencies_ms.empty() ? -1 : latencies_ms.back();
    out["latency_p10_ms"] = percentile(latencies_ms, 0.10);
    out["event_frame_bytes"] =
        event_frames_total ? double(event_bytes_total) / double(event_frames_total) : -1;
    out["latency_p90_ms"] = percentile(latencies_ms, 0.90);
    std::vector<double> done;
    for (auto ms : fanout_done_ms)
      if (ms >= 0)
        done.push_back(ms);
    if (getenv("LOADGEN_DUMP_FANOUTS"))
      for (auto ms : fanout_done_ms)
        if (ms >= 0)
          fprintf(stderr, "fanout_done_ms %.3f\n", ms);
    out["fanout_done_p50_ms"] = percentile(done, 0.50);
    out["fanout_done_p90_ms"] = percentile(done, 0.90);
    out["fanout_done_max_ms"] = done.empty() ? -1 : done.back();

    // --- burst ----------------------------------------------------------------
    int64_t frames_before = received_total();
    double cpu_before = pid ? cpu_us(pid) : 0;
    double b0 = mono_s();
    double own_cpu_before = own_cpu_s();
    int64_t to_send = opt.burst;
    int64_t target = received_total() + int64_t(opt.burst) * opt.clients;
    loop(120, [&] {
      for (auto& p : pubs)
        if (!p.busy && to_send > 0) {
          publish(p, n++);
          --to_send;
        }
      return to_send == 0 && received_total() >= target;
    });
    double burst_s = mono_s() - b0;
    expected_per_client += opt.burst;
    double cpu_after = pid ? cpu_us(pid) : 0;
    int64_t delivered = received_total() - frames_before;
    out["burst_frames"] = double(delivered);
    out["burst_seconds"] = burst_s;
    out["burst_deliveries_per_s"] = delivered / burst_s;
    out["burst_publishes_per_s"] = opt.burst / burst_s;
    // Near 1.0 would mean the load generator, not the server, set the pace.
    out["loadgen_busy_share_burst"] = (own_cpu_s() - own_cpu_before) / burst_s;
    int64_t stored = 0;
    for (auto& p : pubs)
      stored += p.stored;
    out["publishes_stored"] = double(stored);
    if (pid)
      out["server_cpu_us_per_frame"] =
          (cpu_after - cpu_before) / double(std::max<int64_t>(1, delivered));

    // --- app ping round trips ---------------------------------------------------
    if (opt.ping) {
      int sent = 0;
      size_t k = 0;
      while (sent < opt.pings) {
        auto& c = clients[k++ % clients.size()];
        if (c.ping_sent > 0)
          continue;
        c.ping_sent = mono_s();
        c.ping_sent_rt = realtime_ns();
        send_masked_text(c.fd, "{\"type\":\"ping\"}");
        ++pongs_pending;
        ++sent;
        if (sent % 50 == 0)
          loop(5, [&] { return pongs_pending == 0; });
      }
      loop(5, [&] { return pongs_pending == 0; });
      out["ping_p50_ms"] = percentile(ping_ms, 0.50);
      out["ping_p99_ms"] = percentile(ping_ms, 0.99);
    }

    // --- loss check ----------------------------------------------------------------
    int64_t lost = 0, dup = 0, disorder = 0, closed = 0;
    for (auto& c : clients) {
      lost += std::max<int64_t>(0, expected_per_client - c.received);
      dup += c.duplicates;
      disorder += c.out_of_order;
      closed += c.state == conn_state::closed;
    }
    out["published"] = double(published);
    out["lost_frames"] = double(lost);
    out["duplicate_frames"] = double(dup);
    out["out_of_order_frames"] = double(disorder);
    out["clients_closed"] = double(closed);
    print(out);
  }

  // Passive mode: the burst is timed from its first frame here to its last.
  double burst_first = 0, burst_last = 0, burst_cpu_before = 0;
  int64_t burst_frames = 0;
  void on_passive_burst_frame() {
    burst_last = mono_s();
    if (burst_frames++ == 0) {
      burst_first = burst_last;
      burst_cpu_before = opt.server_pid ? cpu_us(opt.server_pid) : 0;
    }
  }

  void listen(std::map<std::string, double>& out) {
    std::printf("READY\n");
    std::fflush(stdout);
    loop(opt.timeout, [&] {
      for (auto& c : clients)
        if (c.received < opt.expect)
          return false;
      return true;
    });
    double cpu_after = opt.server_pid ? cpu_us(opt.server_pid) : 0;
    out["latency_p50_ms"] = percentile(latencies_ms, 0.50);
    out["latency_p99_ms"] = percentile(latencies_ms, 0.99);
    out["latency_max_ms"] = latencies_ms.empty() ? -1 : latencies_ms.back();
    double burst_s = std::max(1e-6, burst_last - burst_first);
    out["burst_frames"] = double(burst_frames);
    out["burst_seconds"] = burst_s;
    out["burst_deliveries_per_s"] = burst_frames / burst_s;
    if (opt.server_pid)
      out["server_cpu_us_per_frame"] =
          (cpu_after - burst_cpu_before) / double(std::max<int64_t>(1, burst_frames));
    int64_t lost = 0, dup = 0;
    for (auto& c : clients) {
      lost += std::max<int64_t>(0, opt.expect - c.received);
      dup += c.duplicates;
    }
    out["lost_frames"] = double(lost);
    out["duplicate_frames"] = double(dup);
    print(out);
  }

  static void print(const std::map<std::string, double>& out) {
    std::printf("{");
    bool first = true;
    for (auto& [k, v] : out) {
      std::printf("%s\"%s\":%.4f", first ? "" : ",", k.c_str(), v);
      first = false;
    }
    std::printf("}\n");
    std::fflush(stdout);
  }
};

void usage() {
  std::fprintf(stderr,
               "usage: herald-loadgen --port P [--path /ws?token=..] [--publish-path P]\n"
               "  [--publish-body herald|herald-user|herald-channel|raw] [--api-key K] [--clients "
               "N] [--source-ips K]\n"
               "  [--pid SERVER_PID] [--no-welcome] [--latency-rate R] [--latency-seconds S]\n"
               "  [--burst M] [--burst-parallel C] [--pings K] [--no-ping]\n"
               "  [--listen-only --expect K --latency-count L [--timeout S]] [--frame-bytes B]\n");
  std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        usage();
      return argv[++i];
    };
    if (a == "--host")
      o.host = next();
    else if (a == "--port")
      o.port = std::stoi(next());
    else if (a == "--path")
      o.path = next();
    else if (a == "--publish-path")
      o.publish_path = next();
    else if (a == "--publish-body")
      o.publish_body = next();
    else if (a == "--api-key")
      o.api_key = next();
    else if (a == "--clients")
      o.clients = std::stoi(next());
    else if (a == "--source-ips")
      o.source_ips = std::stoi(next());
    else if (a == "--pid")
      o.server_pid = std::stoi(next());
    else if (a == "--no-welcome")
      o.expect_welcome = false;
    else if (a == "--latency-rate")
      o.latency_rate = std::stoi(next());
    else if (a == "--latency-seconds")
      o.latency_seconds = std::stod(next());
    else if (a == "--burst")
      o.burst = std::stoi(next());
    else if (a == "--burst-parallel")
      o.burst_parallel = std::stoi(next());
    else if (a == "--pings")
      o.pings = std::stoi(next());
    else if (a == "--no-ping")
      o.ping = false;
    else if (a == "--listen-only")
      o.listen_only = true;
    else if (a == "--expect")
      o.expect = std::stoi(next());
    else if (a == "--latency-count")
      o.latency_count = std::stoi(next());
    else if (a == "--timeout")
      o.timeout = std::stod(next());
    else if (a == "--frame-bytes")
      o.frame_bytes = std::stoi(next());
    else
      usage();
  }
  rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  loadgen g(o);
  g.run();
}

#pragma once
// A frame_sink that records what a session would have written to its socket.
#include "actors/frame_sink.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald::test {

class recording_sink : public frame_sink {
public:
  explicit recording_sink(uint64_t id = next_id()) : id_(id) {}
  uint64_t id() const override { return id_; }
  void bind(std::shared_ptr<session_port> p) override { port = std::move(p); }
  void send(out_frame f) override {
    tails.push_back(f.tail);
    frames.push_back(std::string(f.prefix_view()) + f.text + (f.tail ? *f.tail : std::string()));
  }
  void send(std::vector<out_frame> fs) override {
    ++batch_writes;
    for (auto& f : fs)
      send(std::move(f));
  }
  size_t queued_frames() override { return 0; }
  void ping() override {
    if (throw_on_ping)
      throw std::runtime_error("the sink broke");
    ++pings;
  }
  void close(uint16_t code, std::string reason, bool abort) override {
    closed_code = code;
    closed_reason = std::move(reason);
    closed_abort = abort;
  }

  nlohmann::json json(size_t i) const { return nlohmann::json::parse(frames.at(i)); }
  nlohmann::json last() const { return json(frames.size() - 1); }
  std::vector<nlohmann::json> of_type(const std::string& type) const {
    std::vector<nlohmann::json> out;
    for (auto& f : frames) {
      auto j = nlohmann::json::parse(f);
      if (j["type"] == type)
        out.push_back(j);
    }
    return out;
  }

  std::vector<std::string> frames;
  std::vector<shared_bytes> tails;
  std::shared_ptr<session_port> port;
  int pings = 0;
  bool throw_on_ping = false; // makes the session's heartbeat handler fail
  int batch_writes = 0;       // calls of send(vector): what a connection writes at once
  int closed_code = 0;
  std::string closed_reason;
  bool closed_abort = false;

private:
  static uint64_t next_id() {
    static uint64_t n = 1000;
    return ++n;
  }
  uint64_t id_;
};

} // namespace herald::test

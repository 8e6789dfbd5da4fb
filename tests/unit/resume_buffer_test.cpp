#include "actors/resume_buffer.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using namespace herald;

TEST_CASE("the resume buffer keeps the last N frames and knows what it can replay") {
  resume_buffer buf(3);
  for (uint64_t seq = 1; seq <= 5; ++seq)
    buf.push(seq, std::make_shared<const std::string>(std::to_string(seq)));
  CHECK(buf.size() == 3);
  CHECK(buf.covers(5, 5));
  CHECK(buf.covers(4, 5));
  CHECK(buf.covers(2, 5));       // needs 3, 4, 5: all held
  CHECK_FALSE(buf.covers(1, 5)); // 2 was dropped
  CHECK_FALSE(buf.covers(6, 5)); // the client claims more than was sent
  auto after = buf.after(3);
  REQUIRE(after.size() == 2);
  CHECK(after[0].first == 4);
  CHECK(*after[1].second == "5");
}

TEST_CASE("a zero-sized resume buffer resumes only when nothing was missed") {
  resume_buffer buf(0);
  buf.push(1, std::make_shared<const std::string>("x"));
  CHECK(buf.covers(1, 1));
  CHECK_FALSE(buf.covers(0, 1));
}

TEST_CASE("the resume buffer holds the last N frames across many chunks, in order, for any N") {
  for (size_t capacity : {size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{37}, size_t{256}}) {
    CAPTURE(capacity);
    resume_buffer buf(capacity);
    std::vector<std::weak_ptr<const std::string>> pushed;
    for (uint64_t seq = 1; seq <= 1000; ++seq) {
      auto frame = std::make_shared<const std::string>(std::to_string(seq));
      pushed.push_back(frame);
      buf.push(seq, std::move(frame));
      REQUIRE(buf.size() == std::min<size_t>(seq, capacity));
      // At most one chunk more than the frames need: memory stays bounded.
      CHECK(buf.chunks() <= (buf.size() + 15) / 16 + 1);
    }
    auto held = buf.after(0);
    REQUIRE(held.size() == capacity);
    for (size_t i = 0; i < held.size(); ++i) {
      CHECK(held[i].first == 1000 - capacity + 1 + i);
      CHECK(*held[i].second == std::to_string(held[i].first));
    }
    CHECK(buf.covers(1000 - capacity, 1000));
    CHECK_FALSE(buf.covers(1000 - capacity - 1, 1000));
    CHECK(buf.after(999).size() == 1);
    // Dropped frames are let go of; held ones are not.
    CHECK(pushed[1000 - capacity - 1].expired());
    CHECK_FALSE(pushed[1000 - capacity].expired());
  }
}

TEST_CASE("a moved resume buffer keeps its frames; the one moved from holds none") {
  resume_buffer a(20);
  for (uint64_t seq = 1; seq <= 30; ++seq)
    a.push(seq, std::make_shared<const std::string>(std::to_string(seq)));
  resume_buffer b(std::move(a));
  CHECK(a.size() == 0);
  CHECK(a.chunks() == 0);
  REQUIRE(b.size() == 20);
  CHECK(b.after(0).front().first == 11);
  resume_buffer c(5);
  c.push(1, std::make_shared<const std::string>("x"));
  c = std::move(b);
  CHECK(c.size() == 20);
  CHECK(*c.after(29).front().second == "30");
}

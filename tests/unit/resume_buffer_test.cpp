#include "actors/resume_buffer.hpp"

#include <doctest/doctest.h>

using namespace herald;

TEST_CASE("the resume buffer keeps the last N frames and knows what it can replay") {
  resume_buffer buf(3);
  for (uint64_t seq = 1; seq <= 5; ++seq)
    buf.push(seq, std::make_shared<const std::string>(std::to_string(seq)));
  CHECK(buf.size() == 3);
  CHECK(buf.covers(5, 5));
  CHECK(buf.covers(4, 5));
  CHECK(buf.covers(2, 5));        // needs 3, 4, 5: all held
  CHECK_FALSE(buf.covers(1, 5));  // 2 was dropped
  CHECK_FALSE(buf.covers(6, 5));  // the client claims more than was sent
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

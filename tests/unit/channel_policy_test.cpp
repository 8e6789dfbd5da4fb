#include "actors/channel_policy.hpp"

#include <doctest/doctest.h>

using namespace herald;

TEST_CASE("channel names and the token's patterns") {
  std::vector<std::string> allowed{"admin", "team-*"};
  CHECK(check_channel(allowed, "admin") == channel_check::ok);
  CHECK(check_channel(allowed, "team-") == channel_check::ok);
  CHECK(check_channel(allowed, "team-red") == channel_check::ok);
  CHECK(check_channel(allowed, "adminx") == channel_check::forbidden);
  CHECK(check_channel(allowed, "team") == channel_check::forbidden);
  CHECK(check_channel({}, "admin") == channel_check::forbidden);
  CHECK(check_channel({"*"}, "anything") == channel_check::ok);
  CHECK(check_channel({"*"}, "user:bob") == channel_check::reserved);
  CHECK(check_channel({"*"}, "broadcast") == channel_check::reserved);
  CHECK(check_channel({"*"}, "") == channel_check::bad_name);
  CHECK(check_channel({"*"}, std::string(201, 'a')) == channel_check::bad_name);
  CHECK(check_channel({"*"}, std::string(200, 'a')) == channel_check::ok);
}

TEST_CASE("herald.* channels are the server's: only an exact grant joins, nobody publishes") {
  CHECK(check_channel_name("herald.monitor") == channel_check::reserved);
  CHECK(check_channel({"*"}, "herald.monitor") == channel_check::reserved);
  CHECK(check_channel({"herald.*"}, "herald.monitor") == channel_check::reserved);
  CHECK(check_channel({"herald.monitor"}, "herald.monitor") == channel_check::ok);
  CHECK(check_channel({"team-*"}, "team-\xff") == channel_check::bad_name);
}

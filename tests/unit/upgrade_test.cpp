#include "net/jwt_auth.hpp"
#include "net/upgrade.hpp"
#include "token_maker.hpp"

#include <doctest/doctest.h>

using namespace herald::net;
using herald::test::make_token;

TEST_CASE("upgrade decisions: auth, channels, resume parameters") {
  upgrade_settings s{"k", true, 3};
  auto tok = make_token(R"({"sub":"u1","channels":["admin","team-*"]})", "k");

  auto ok = decide_upgrade(
      "token=" + tok + "&channels=admin,team-a&view=team-b&session_id=s-1&last_seq=4", "", s, 0);
  CHECK(ok.status == 101);
  CHECK(ok.user == "u1");
  CHECK(ok.channels == std::vector<std::string>{"admin", "team-a", "team-b"});
  CHECK(ok.resume_id == "s-1");
  CHECK(ok.last_seq == 4);

  CHECK(decide_upgrade("", "Bearer " + tok, s, 0).status == 101);
  CHECK(decide_upgrade("", "", s, 0).status == 401);
  CHECK(decide_upgrade("token=bad", "", s, 0).status == 401);
  CHECK(decide_upgrade("token=" + tok + "&view=secret", "", s, 0).status == 403);
  CHECK(decide_upgrade("token=" + tok + "&view=user:u2", "", s, 0).status == 403);
  CHECK(decide_upgrade("token=" + tok + "&last_seq=x", "", s, 0).status == 400);
  CHECK(decide_upgrade("token=" + tok + "&channels=team-1,team-2,team-3,team-4", "", s, 0).status ==
        400);

  upgrade_settings anon{"k", false, 3};
  auto a = decide_upgrade("", "", anon, 0);
  CHECK(a.status == 101);
  CHECK(a.user.empty());
  CHECK(decide_upgrade("view=admin", "", anon, 0).status == 403); // anonymous: no channel claim
  CHECK(decide_upgrade("token=bad", "", anon, 0).status == 401);  // a bad token is still refused
}

TEST_CASE("query strings are percent-decoded") {
  auto q = parse_query("a=1&b=x%2Cy&c=hello+world&d&a=2");
  CHECK(q["a"] == "2");
  CHECK(q["b"] == "x,y");
  CHECK(q["c"] == "hello world");
  CHECK(q.count("d") == 1);
}

TEST_CASE("console tokens: signed by the server's own secret, only for console: subjects") {
  upgrade_settings s{"client-secret", true, 3, "console-secret"};
  auto console = sign_token("console:abc", {"herald.monitor"}, 4'000'000'000, "console-secret");
  REQUIRE_FALSE(console.empty());
  auto d = decide_upgrade("token=" + console + "&channels=herald.monitor", "", s, 0);
  CHECK(d.status == 101);
  CHECK(d.user == "console:abc");
  CHECK(decide_upgrade("token=" + console + "&view=admin", "", s, 0).status == 403);
  // The console secret signs nothing else.
  auto impostor = sign_token("alice", {"*"}, 4'000'000'000, "console-secret");
  CHECK(decide_upgrade("token=" + impostor, "", s, 0).status == 401);
  auto expired = sign_token("console:old", {"herald.monitor"}, 10, "console-secret");
  CHECK(decide_upgrade("token=" + expired, "", s, 100).status == 401);
  // Client tokens still work.
  CHECK(decide_upgrade("token=" + sign_token("bob", {}, 4'000'000'000, "client-secret"), "", s, 0)
            .status == 101);
}

TEST_CASE("since.<channel> at upgrade: <offset>:<epoch> for a channel joined there") {
  upgrade_settings s{"k", true, 3};
  auto tok = make_token(R"({"sub":"u1","channels":["orders.*"]})", "k");
  auto base = "token=" + tok + "&channels=orders.7,orders.8";
  auto ok = decide_upgrade(base + "&since.orders.7=40%3Aab12&since.orders.8=0:x", "", s, 0);
  REQUIRE(ok.status == 101);
  CHECK(ok.since.at("orders.7").offset == 40);
  CHECK(ok.since.at("orders.7").epoch == "ab12");
  CHECK(ok.since.at("orders.8").offset == 0);
  for (auto bad :
       {"&since.orders.7=40", "&since.orders.7=:ab", "&since.orders.7=-1:ab",
        "&since.orders.7=4x:ab", "&since.orders.7=99999999999999999999:ab", "&since.orders.9=1:ab"})
    CHECK_MESSAGE(decide_upgrade(base + bad, "", s, 0).status == 400, bad);
  CHECK(decide_upgrade(base + "&since.orders.7=1:" + std::string(65, 'e'), "", s, 0).status == 400);
}

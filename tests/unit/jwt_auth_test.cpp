#include "net/jwt_auth.hpp"
#include "token_maker.hpp"

#include <doctest/doctest.h>

using namespace herald::net;
using herald::test::make_token;

TEST_CASE("a good HS256 token gives its sub and channels") {
  auto r = verify_token(make_token(R"({"sub":"u1","channels":["admin","team-*"],"exp":2000})", "k"),
                        "k", 1000);
  REQUIRE(r.claims);
  CHECK(r.claims->sub == "u1");
  CHECK(r.claims->channels == std::vector<std::string>{"admin", "team-*"});
}

TEST_CASE("bad tokens are refused with a reason") {
  CHECK(verify_token("", "k", 0).error == "missing token");
  CHECK(verify_token("garbage", "k", 0).error == "malformed token");
  CHECK(verify_token(make_token(R"({"sub":"u1"})", "other"), "k", 0).error ==
        "bad token signature");
  CHECK(verify_token(make_token(R"({"sub":"u1","exp":999})", "k"), "k", 1000).error ==
        "token expired");
  CHECK(verify_token(make_token(R"({"name":"u1"})", "k"), "k", 0).error ==
        "token has no \"sub\" claim");
  CHECK(verify_token(make_token(R"({"sub":"u1","channels":"admin"})", "k"), "k", 0).error ==
        "token \"channels\" is not a list");
  CHECK(verify_token(make_token(R"({"sub":"u1"})", "k", JWT_ALG_NONE), "k", 0).error ==
        "token algorithm none matches no configured key");
  CHECK(verify_token(make_token(R"({"sub":"u1"})", "other", JWT_ALG_HS512), "k", 0).error ==
        "bad token signature");
  // An unsigned token wearing an HS256 header, signature stripped.
  auto good = make_token(R"({"sub":"u1"})", "k");
  auto stripped = good.substr(0, good.rfind('.') + 1);
  CHECK_FALSE(verify_token(stripped, "k", 0).claims);
}

TEST_CASE("nbf and exp are checked with the leeway") {
  auto nbf = make_token(R"({"sub":"u1","nbf":5000})", "k");
  CHECK(verify_token(nbf, "k", 1000, 60).error == "token not valid yet (nbf)"); // an hour ahead
  CHECK(verify_token(nbf, "k", 4950, 60).claims);                               // within the leeway
  auto exp = make_token(R"({"sub":"u1","exp":1000})", "k");
  CHECK(verify_token(exp, "k", 1030, 60).claims);
  CHECK(verify_token(exp, "k", 1061, 60).error == "token expired");
  CHECK(verify_token(make_token(R"({"sub":"u1","nbf":"soon"})", "k"), "k", 0).error ==
        "token \"nbf\" is not a number");
  CHECK(reserved_subject("anon:s-1"));
  CHECK(reserved_subject("console:x"));
  CHECK_FALSE(reserved_subject("anonymous"));
}

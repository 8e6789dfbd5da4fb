// config/text.hpp: the one way JSON leaves Herald and the one way it comes in.
#include "actors/client_frame.hpp"
#include "config/text.hpp"
#include "persistence/cluster_link.hpp"
#include "persistence/redis_connection.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace herald;

TEST_CASE("json_text never throws on bytes that are not UTF-8") {
  nlohmann::json j{{"error", std::string("no such route: /api/v1/\xff")}};
  CHECK_THROWS(j.dump()); // what crashed the process (H1)
  auto text = json_text(j);
  CHECK(valid_utf8(text));
  CHECK(text == "{\"error\":\"no such route: /api/v1/\xef\xbf\xbd\"}");
}

TEST_CASE("utf8_cut keeps whole characters and utf8_clean replaces bad bytes") {
  std::string e_acute = "\xc3\xa9";
  CHECK(utf8_cut(e_acute + e_acute, 3) == e_acute); // the cut that split a character (M2)
  CHECK(utf8_cut("abc", 10) == "abc");
  CHECK(utf8_clean("a\xff"
                   "b") == "a\xef\xbf\xbd"
                           "b");
  CHECK(utf8_clean("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); // a surrogate
  CHECK(valid_utf8(utf8_cut(std::string(199, 'x') + e_acute, 200)));
}

TEST_CASE("escape_controls keeps a log line one line") {
  CHECK(escape_controls("a\nb\r\tc\\d\x01") == "a\\nb\\r\\tc\\\\d\\x01");
  CHECK(escape_controls("plain text é") == "plain text é");
}

TEST_CASE("parse_json refuses nesting deeper than server.max_json_depth") {
  set_max_json_depth(4);
  CHECK_FALSE(parse_json("[[[[1]]]]").is_discarded());
  CHECK(parse_json("[[[[[1]]]]]").is_discarded());
  CHECK_FALSE(
      parse_json(R"({"a":"[[[[[[[[[["})").is_discarded()); // brackets in strings do not count
  CHECK_FALSE(parse_json(R"({"a":"\"[[[[[[["})").is_discarded());
  CHECK(parse_json("{").is_discarded());
  set_max_json_depth(64);
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  CHECK(parse_json(deep).is_discarded()); // the 200,000 levels of M1, refused before parsing
}

TEST_CASE("client frames decode into typed requests or the error they earn") {
  CHECK(decode_client_frame(R"({"type":"ping"})").type == client_frame::kind::ping);
  auto sub = decode_client_frame(R"({"type":"subscribe","channel":"team-a"})");
  CHECK(sub.type == client_frame::kind::subscribe);
  CHECK(sub.arg == "team-a");
  CHECK(decode_client_frame(R"({"type":"ack","id":"e-1"})").arg == "e-1");
  CHECK(decode_client_frame("nope").error == herald::client_error::bad_json);
  CHECK(decode_client_frame("[1]").error == herald::client_error::bad_frame);
  CHECK(decode_client_frame(R"({"type":"ack"})").error == herald::client_error::bad_frame);
  CHECK(decode_client_frame(R"({"type":"dance"})").error == herald::client_error::unknown_type);
  CHECK(decode_client_frame(std::string(100, '[') + std::string(100, ']')).error ==
        herald::client_error::bad_json);
}

TEST_CASE("a bus message whose tail is not JSON members, or whose v is not 1, is refused") {
  persistence::bus_message m{"n1", 'u', "u1", "e-1", R"(,"id":"e-1","event":"x","data":{}})",
                             {},   {},  false};
  auto back = persistence::bus_message::decode(m.encode());
  REQUIRE(back);
  CHECK(back->tail == m.tail);
  m.tail = R"(,"id":"e-1"}],"x":{})"; // would break every recipient's frame
  CHECK_FALSE(persistence::bus_message::decode(m.encode()));
  CHECK_FALSE(persistence::bus_message::decode(
      R"({"v":"1","o":"n","k":"u","n":"u","id":"e","tail":",\"a\":1}"})"));
}

TEST_CASE("a bus message carries a history position and control frames, checked") {
  persistence::bus_message m{
      "n1", 'c', "orders.7", "e-1", R"(,"offset":4,"epoch":"ab","id":"e-1"})", {}, {4, "ab"}};
  auto back = persistence::bus_message::decode(m.encode());
  REQUIRE(back);
  CHECK(back->history.offset == 4);
  CHECK(back->history.epoch == "ab");
  m.target = 'u'; // a position belongs to a channel
  CHECK_FALSE(persistence::bus_message::decode(m.encode()));
  CHECK_FALSE(persistence::bus_message::decode(
      R"({"v":1,"o":"n","k":"c","n":"c","id":"e","tail":",\"a\":1}","off":0,"ep":"x"})"));
  CHECK_FALSE(persistence::bus_message::decode(
      R"({"v":1,"o":"n","k":"c","n":"c","id":"e","tail":",\"a\":1}","off":3})"));
  persistence::bus_message join{"n1", 'c', "room", "e-2", R"({"type":"join"})", {}, {}, true};
  auto j = persistence::bus_message::decode(join.encode());
  REQUIRE(j);
  CHECK(j->control);
  join.tail = R"({"type":"join")"; // not a whole object
  CHECK_FALSE(persistence::bus_message::decode(join.encode()));
}

TEST_CASE("subscribe's since is an offset and an epoch, or a bad_frame") {
  auto ok =
      decode_client_frame(R"({"type":"subscribe","channel":"c","since":{"offset":3,"epoch":"e"}})");
  CHECK(ok.type == client_frame::kind::subscribe);
  CHECK(ok.since.given);
  CHECK(ok.since.at.offset == 3);
  CHECK_FALSE(decode_client_frame(R"({"type":"subscribe","channel":"c"})").since.given);
  for (auto bad : {R"({"offset":-1,"epoch":"e"})", R"({"offset":1.5,"epoch":"e"})",
                   R"({"offset":1,"epoch":""})", R"({"offset":1})", R"("1:e")",
                   R"({"offset":"1","epoch":"e"})"}) {
    auto f = decode_client_frame(std::string(R"({"type":"subscribe","channel":"c","since":)") +
                                 bad + "}");
    CHECK_MESSAGE(f.type == client_frame::kind::invalid, bad);
    CHECK(f.error == client_error::bad_frame);
  }
}

TEST_CASE("RESP replies decode through hiredis's reader") {
  bool bad = false;
  auto r = persistence::decode_replies("+OK\r\n:7\r\n*2\r\n$1\r\na\r\n-ERR x\r\n$3\r\nab", bad);
  CHECK_FALSE(bad);
  REQUIRE(r.size() == 3);
  CHECK(r[1].integer == 7);
  CHECK(r[2].elements.size() == 2);
  CHECK(r[2].elements[1].is_error());
  persistence::decode_replies("?what\r\n", bad);
  CHECK(bad);
  // hiredis 0.14 would calloc 16 GB for this header (found by fuzz_redis).
  persistence::decode_replies("*2000000000\r\n", bad);
  CHECK(bad);
  persistence::set_max_reply_elements(3);
  CHECK(persistence::decode_replies("*3\r\n:1\r\n:2\r\n:3\r\n", bad).size() == 1);
  CHECK_FALSE(bad);
  persistence::decode_replies("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n", bad);
  CHECK(bad);
  persistence::set_max_reply_elements(1000000);
}

TEST_CASE("a comma list keeps its non-empty parts in order") {
  CHECK(comma_list("a,b") == std::vector<std::string>{"a", "b"});
  CHECK(comma_list(",a,,b,") == std::vector<std::string>{"a", "b"});
  CHECK(comma_list("").empty());
  CHECK(comma_list(",,,").empty());
}

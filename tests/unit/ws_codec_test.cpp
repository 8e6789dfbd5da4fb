#include "net/ws_codec.hpp"

#include <doctest/doctest.h>

using namespace herald::ws;

namespace {

// A client frame: masked, as RFC 6455 demands of clients.
std::string client_frame(uint8_t first_byte, const std::string& payload, bool masked = true) {
  std::string f;
  f += static_cast<char>(first_byte);
  uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    f += static_cast<char>(mask_bit | payload.size());
  } else if (payload.size() <= 0xffff) {
    f += static_cast<char>(mask_bit | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xff);
  } else {
    f += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i)
      f += static_cast<char>((uint64_t(payload.size()) >> (8 * i)) & 0xff);
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked)
    f.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i)
    f += masked ? static_cast<char>(payload[i] ^ key[i & 3]) : payload[i];
  return f;
}

} // namespace

TEST_CASE("server frame headers use the shortest length form") {
  char h[max_header];
  CHECK(write_header(h, opcode::text, 5) == 2);
  CHECK(uint8_t(h[0]) == 0x81);
  CHECK(uint8_t(h[1]) == 5);
  CHECK(write_header(h, opcode::text, 126) == 4);
  CHECK(uint8_t(h[1]) == 126);
  CHECK(write_header(h, opcode::text, 70000) == 10);
  CHECK(uint8_t(h[1]) == 127);
  auto close = encode_close(1001, "bye");
  CHECK(close.size() == 2 + 2 + 3);
  CHECK(uint8_t(close[0]) == 0x88);
  auto info = parse_close(close.substr(2));
  CHECK(info.code == 1001);
  CHECK(info.reason == "bye");
}

TEST_CASE("the parser reassembles frames split anywhere and fragmented messages") {
  parser p(1 << 20);
  std::string big(70000, 'x');
  std::string wire = client_frame(0x81, "hello") + client_frame(0x01, "frag") +
                     client_frame(0x89, "pingdata") + client_frame(0x80, "mented") +
                     client_frame(0x81, big);
  std::vector<message> out;
  std::string pending;
  for (char c : wire) { // one byte at a time: the worst split
    pending += c;
    auto used = p.parse(pending.data(), pending.size(), out);
    pending.erase(0, used);
  }
  REQUIRE(p.error() == 0);
  REQUIRE(out.size() == 4);
  CHECK(out[0].payload == "hello");
  CHECK(out[1].op == opcode::ping); // a control frame may sit inside a fragmented message
  CHECK(out[2].payload == "fragmented");
  CHECK(out[3].payload == big);
  CHECK(pending.empty());
}

TEST_CASE("protocol violations map to their close codes") {
  auto code_for = [](const std::string& wire, uint64_t max = 1 << 20) {
    parser p(max);
    std::vector<message> out;
    p.parse(wire.data(), wire.size(), out);
    return p.error();
  };
  CHECK(code_for(client_frame(0x82, "bin")) == 1003);
  CHECK(code_for(client_frame(0x81, std::string(200, 'a')), 100) == 1009);
  CHECK(
      code_for(client_frame(0x01, std::string(60, 'a')) + client_frame(0x80, std::string(60, 'a')),
               100) == 1009);
  CHECK(code_for(client_frame(0x81, "\xff\xfe")) == 1007);
  CHECK(code_for(client_frame(0x81, "plain", false)) == 1002);
  CHECK(code_for(client_frame(0xc1, "rsv")) == 1002);
  CHECK(code_for(client_frame(0x80, "cont")) == 1002);
  CHECK(code_for(client_frame(0x83, "op3")) == 1002);
  CHECK(code_for(client_frame(0x09, "ping not final")) == 1002);
  CHECK(code_for(client_frame(0x89, std::string(126, 'p'))) == 1002);
  // The size check fires on the header alone: no need to buffer a huge payload.
  std::string header_only = client_frame(0x81, std::string(200, 'a')).substr(0, 8);
  CHECK(code_for(header_only, 100) == 1009);
}

TEST_CASE("UTF-8 validation") {
  CHECK(valid_utf8("plain ascii"));
  CHECK(valid_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(valid_utf8("\xc3"));             // truncated
  CHECK_FALSE(valid_utf8("\xc0\xaf"));         // overlong
  CHECK_FALSE(valid_utf8("\xed\xa0\x80"));     // surrogate
  CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
}

TEST_CASE("a 64-bit continuation length cannot wrap the size check (H2)") {
  parser p(65536);
  std::vector<message> out;
  auto first = client_frame(0x01, "x");
  std::string wrap = "\x80\xff";
  wrap += std::string(8, '\xff');
  wrap += std::string(4, '\0');
  auto all = first + wrap + std::string(1000, 'z');
  p.parse(all.data(), all.size(), out);
  CHECK(p.error() == 1002); // the length's top bit is set: not a length at all
  parser q(65536);
  std::string near_max = "\x80\xff";
  near_max += '\x7f';
  near_max += std::string(7, '\xff');
  near_max += std::string(4, '\0');
  auto all2 = first + near_max;
  q.parse(all2.data(), all2.size(), out);
  CHECK(q.error() == 1009); // 1 byte kept + 2^63-1 is over the limit, without wrapping
}

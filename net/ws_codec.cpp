#include "net/ws_codec.hpp"

#include "actors/frame_sink.hpp"
#include "config/text.hpp"

#include <cstring>

namespace herald::ws {

static_assert(out_frame::header_room >= max_header,
              "a frame's header is written in place in front of its prefix (runtime/README.md)");

size_t write_header(char* out, opcode op, uint64_t len) {
  auto* p = reinterpret_cast<unsigned char*>(out);
  p[0] = 0x80 | static_cast<unsigned char>(op);
  if (len < 126) {
    p[1] = static_cast<unsigned char>(len);
    return 2;
  }
  if (len <= 0xffff) {
    p[1] = 126;
    p[2] = static_cast<unsigned char>(len >> 8);
    p[3] = static_cast<unsigned char>(len);
    return 4;
  }
  p[1] = 127;
  for (int i = 0; i < 8; ++i)
    p[2 + i] = static_cast<unsigned char>(len >> (56 - 8 * i));
  return 10;
}

std::string encode_frame(opcode op, std::string_view payload) {
  char header[max_header];
  auto n = write_header(header, op, payload.size());
  std::string out(header, n);
  out.append(payload.data(), payload.size());
  return out;
}

std::string close_payload(uint16_t code, std::string_view reason) {
  std::string payload;
  payload += static_cast<char>(code >> 8);
  payload += static_cast<char>(code & 0xff);
  payload += utf8_cut(reason, 123);
  return payload;
}

std::string encode_close(uint16_t code, std::string_view reason) {
  return encode_frame(opcode::close, close_payload(code, reason));
}

size_t parser::fail(uint16_t code, const char* reason) {
  error_ = code;
  reason_ = reason;
  return 0;
}

size_t parser::parse(const char* data, size_t len, std::vector<message>& out) {
  auto* p = reinterpret_cast<const unsigned char*>(data);
  size_t pos = 0;
  while (error_ == 0) {
    size_t avail = len - pos;
    if (avail < 2)
      break;
    const unsigned char* f = p + pos;
    bool fin = f[0] & 0x80;
    if (f[0] & 0x70)
      return fail(1002, "reserved bits set");
    auto op = static_cast<opcode>(f[0] & 0x0f);
    bool masked = f[1] & 0x80;
    uint64_t plen = f[1] & 0x7f;
    size_t hlen = 2;
    if (plen == 126) {
      if (avail < 4)
        break;
      plen = (uint64_t(f[2]) << 8) | f[3];
      hlen = 4;
    } else if (plen == 127) {
      if (avail < 10)
        break;
      if (f[2] & 0x80) // RFC 6455 §5.2: the most significant bit must be 0
        return fail(1002, "bad frame length");
      plen = 0;
      for (int i = 0; i < 8; ++i)
        plen = (plen << 8) | f[2 + i];
      hlen = 10;
    }
    bool control = static_cast<uint8_t>(op) & 0x08;
    switch (op) {
      case opcode::cont:
      case opcode::text:
      case opcode::close:
      case opcode::ping:
      case opcode::pong:
        break;
      case opcode::binary:
        return fail(1003, "binary frames are not accepted");
      default:
        return fail(1002, "unknown opcode");
    }
    if (!masked)
      return fail(1002, "client frames must be masked");
    if (control && (!fin || plen > 125))
      return fail(1002, "bad control frame");
    if (op == opcode::cont && !in_message_)
      return fail(1002, "continuation without a message");
    if (op == opcode::text && in_message_)
      return fail(1002, "new message inside a fragmented one");
    // Written so that no sum can wrap: `have` is at most max_ here.
    uint64_t have = (op == opcode::cont && partial_) ? partial_->size() : 0;
    if (!control && (plen > max_ || have > max_ - plen))
      return fail(1009, "message larger than server.max_message_bytes");
    hlen += 4;
    if (avail < hlen || avail - hlen < plen)
      break;
    const unsigned char* mask = f + hlen - 4;
    std::string payload(reinterpret_cast<const char*>(f + hlen), plen);
    for (size_t i = 0; i < plen; ++i)
      payload[i] = static_cast<char>(payload[i] ^ mask[i & 3]);
    pos += hlen + plen;
    if (control) {
      out.push_back({op, std::move(payload)});
      continue;
    }
    if (op == opcode::text && fin) {
      if (!valid_utf8(payload))
        return fail(1007, "text frame is not valid UTF-8");
      out.push_back({opcode::text, std::move(payload)});
      continue;
    }
    in_message_ = true;
    if (!partial_)
      partial_ = std::make_unique<std::string>();
    *partial_ += payload;
    if (fin) {
      in_message_ = false;
      auto whole = std::move(partial_);
      if (!valid_utf8(*whole))
        return fail(1007, "text message is not valid UTF-8");
      out.push_back({opcode::text, std::move(*whole)});
    }
  }
  return error_ ? 0 : pos;
}

close_info parse_close(std::string_view payload) {
  close_info info;
  if (payload.size() >= 2) {
    info.code = static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
    info.reason = std::string(payload.substr(2));
  }
  return info;
}

} // namespace herald::ws

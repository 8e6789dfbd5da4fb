#pragma once
// RFC 6455 framing for the server side: parsing masked client frames and
// encoding unmasked server frames. Herald frames its own WebSocket traffic
// (after Beast has parsed the upgrade request) so that it can encode an
// event's header once, share payload bytes between sessions and coalesce
// every frame queued for a socket into one write.
#include "config/text.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald::ws {

enum class opcode : uint8_t { cont = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// The largest header of a server frame (no mask).
constexpr size_t max_header = 10;

// Writes the header of an unmasked, final frame into `out`; returns its length.
size_t write_header(char* out, opcode op, uint64_t payload_len);

// A complete server frame.
std::string encode_frame(opcode op, std::string_view payload);
std::string encode_close(uint16_t code, std::string_view reason);
// The payload of a close frame: the code, then the reason cut to fit 125 bytes.
std::string close_payload(uint16_t code, std::string_view reason);

using herald::valid_utf8;

// A complete message (text, reassembled from fragments) or a control frame.
struct message {
  opcode op;
  std::string payload;
};

class parser {
public:
  explicit parser(uint64_t max_message_bytes) : max_(max_message_bytes) {}

  // Parses whole frames from `data`, appending finished messages to `out`.
  // Returns how many bytes were consumed; the caller keeps the rest and
  // passes it again with more data. After a protocol violation error() is
  // the close code to send (1002, 1003, 1007, 1009) and nothing more is parsed.
  size_t parse(const char* data, size_t len, std::vector<message>& out);

  uint16_t error() const { return error_; }
  const char* error_reason() const { return reason_; }

private:
  size_t fail(uint16_t code, const char* reason);
  uint64_t max_;
  uint16_t error_ = 0;
  const char* reason_ = "";              // a literal: one parser per connection, kept small
  bool in_message_ = false;              // a fragmented text message is being reassembled
  std::unique_ptr<std::string> partial_; // made for a fragmented message only
};

// The code and reason of a client's close frame; code 1005 when it has none.
struct close_info {
  uint16_t code = 1005;
  std::string reason;
};
close_info parse_close(std::string_view payload);

} // namespace herald::ws

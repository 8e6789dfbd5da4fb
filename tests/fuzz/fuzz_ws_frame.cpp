// The WebSocket frame parser and its reassembly, fed the way a connection
// feeds it: in chunks of sizes the input picks, the unparsed rest kept and
// passed again. Checks the parser's own promises, not only "no crash".
#include "net/ws_codec.hpp"

#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  constexpr uint64_t max_message = 4096;
  herald::ws::parser parser(max_message);
  std::string pending;
  std::vector<herald::ws::message> out;
  size_t chunk = 1 + data[0] % 64;
  data += 1;
  size -= 1;
  for (size_t at = 0; at < size && !parser.error(); at += chunk) {
    pending.append(reinterpret_cast<const char*>(data + at), std::min(chunk, size - at));
    out.clear();
    auto used = parser.parse(pending.data(), pending.size(), out);
    if (used > pending.size())
      std::abort();
    pending.erase(0, used);
    // What is kept never exceeds one frame header plus a message's bytes.
    if (pending.size() > max_message + 14)
      std::abort();
    for (auto& m : out) {
      if (m.op == herald::ws::opcode::text &&
          (m.payload.size() > max_message || !herald::ws::valid_utf8(m.payload)))
        std::abort();
      if (m.op == herald::ws::opcode::close)
        (void)herald::ws::parse_close(m.payload);
    }
  }
  return 0;
}

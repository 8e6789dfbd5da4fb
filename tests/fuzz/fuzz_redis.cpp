// What comes from Redis: RESP reply bytes through hiredis's reader into
// Herald's replies, and the cross-node bus message decoder.
#include "persistence/cluster_link.hpp"
#include "persistence/inbox_pos.hpp"
#include "persistence/redis_connection.hpp"

#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      bool protocol_error = false;
      auto replies = herald::persistence::decode_replies(bytes, protocol_error);
      (void)replies;
      break;
    }
    case 1: {
      if (auto m = herald::persistence::bus_message::decode(bytes)) {
        auto again = herald::persistence::bus_message::decode(m->encode());
        if (!again || again->tail != m->tail || again->name != m->name)
          std::abort();
      }
      break;
    }
    default:
      if (auto p = herald::persistence::inbox_pos::parse(bytes)) {
        auto back = herald::persistence::inbox_pos::parse(p->to_string());
        if (!back || back->to_string() != p->to_string())
          std::abort();
      }
  }
  return 0;
}

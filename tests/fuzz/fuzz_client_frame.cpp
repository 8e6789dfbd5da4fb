// A client's text frame → the typed request the session acts on.
#include "actors/client_frame.hpp"
#include "config/text.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = herald::decode_client_frame(text);
  if (f.type == herald::client_frame::kind::invalid && f.error_message.empty())
    std::abort();
  // Whatever came in, the error frame the session sends must serialize.
  auto out = herald::json_text(nlohmann::json{{"type", "error"},
                                              {"code", herald::code_text(f.error)},
                                              {"message", f.error_message},
                                              {"arg", f.arg}});
  if (nlohmann::json::parse(out, nullptr, false).is_discarded())
    std::abort();
  return 0;
}

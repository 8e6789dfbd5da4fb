// Config loading: the input is TOML, optionally followed by "\n#ENV\n" and
// NAME=value lines taken as the environment. load() must never throw and
// every refusal must name a key.
#include "config/config.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> env;
  auto split = input.find("\n#ENV\n");
  if (split != std::string::npos) {
    std::string rest = input.substr(split + 6);
    input.resize(split);
    size_t at = 0;
    while (at < rest.size()) {
      auto nl = rest.find('\n', at);
      auto line = rest.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
      auto eq = line.find('=');
      if (eq != std::string::npos && line.rfind("HERALD_", 0) == 0)
        env[line.substr(0, eq)] = line.substr(eq + 1);
      if (nl == std::string::npos)
        break;
      at = nl + 1;
    }
  }
  static const std::string path = "/tmp/herald_fuzz_config_" + std::to_string(::getpid()) + ".toml";
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << input;
  }
  auto r = herald::config::load(path, env);
  if (!r.config && r.error.empty())
    std::abort();
  if (r.config)
    (void)herald::config::to_json(*r.config);
  return 0;
}

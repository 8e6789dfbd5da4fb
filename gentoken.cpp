// `herald gentoken`: a client token signed with the configured
// auth.jwt_secret, for a first client without writing any code (as
// `centrifugo gentoken` does).
#include "gentoken.hpp"

#include "config/config.hpp"
#include "config/duration.hpp"
#include "config/text.hpp"
#include "net/jwt_auth.hpp"

#include <chrono>
#include <iostream>
#include <unistd.h>

namespace herald {

namespace {

constexpr int64_t ttl_max_s = int64_t(366) * 24 * 3600;

void gentoken_usage(std::ostream& out) {
  out << "usage: herald gentoken --user USER [--channels a,b] [--ttl 1h] [--config FILE]\n"
         "  prints an HS256 token for USER, allowed to join the channels, valid for the ttl,\n"
         "  signed with auth.jwt_secret of the config (HERALD_AUTH_JWT_SECRET overrides it)\n";
}

// 0 when `text` is no duration.
int64_t ttl_seconds(const std::string& text) {
  auto life = config::parse_duration(text);
  if (!life)
    return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(*life).count();
}

} // namespace

int gentoken(int argc, char** argv, const std::string& default_config) {
  std::string user, channels, ttl = "1h", config_path;
  bool explicit_config = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      gentoken_usage(std::cout);
      return 0;
    }
    if (i + 1 >= argc ||
        (arg != "--user" && arg != "--channels" && arg != "--ttl" && arg != "--config")) {
      std::cerr << "herald gentoken: unknown or incomplete argument '" << arg << "'\n";
      gentoken_usage(std::cerr);
      return 1;
    }
    std::string value = argv[++i];
    if (arg == "--user")
      user = value;
    else if (arg == "--channels")
      channels = value;
    else if (arg == "--ttl")
      ttl = value;
    else {
      config_path = value;
      explicit_config = true;
    }
  }
  if (user.empty() || user.size() > 200 || !valid_utf8(user) || net::reserved_subject(user)) {
    std::cerr << "herald gentoken: --user must be 1 to 200 bytes of UTF-8 (and not one the server "
                 "hands out)\n";
    return 1;
  }
  auto names = comma_list(channels);
  for (auto& name : names)
    if (name.size() > 200 || !valid_utf8(name)) {
      std::cerr << "herald gentoken: each of --channels must be 1 to 200 bytes of UTF-8\n";
      return 1;
    }
  auto life_s = ttl_seconds(ttl);
  if (life_s < 1 || life_s > ttl_max_s) {
    std::cerr << "herald gentoken: --ttl must be a duration such as \"1h\", from 1s to 366 days\n";
    return 1;
  }
  if (!explicit_config)
    config_path = access(default_config.c_str(), R_OK) == 0 ? default_config : "";
  auto loaded = config::load_from_process(config_path);
  if (!loaded.config) {
    std::cerr << loaded.error << "\n";
    return 1;
  }
  auto& secret = loaded.config->auth.jwt_secret;
  if (secret.empty()) {
    std::cerr << "herald gentoken: auth.jwt_secret is empty in "
              << (config_path.empty() ? "the embedded config" : config_path)
              << " (set it, or HERALD_AUTH_JWT_SECRET); tokens from a key pair or JWKS are "
                 "signed by your identity provider\n";
    return 1;
  }
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  auto token = net::sign_token(user, names, now_s + life_s, secret);
  if (token.empty()) {
    std::cerr << "herald gentoken: the token could not be signed\n";
    return 1;
  }
  std::cout << token << "\n";
  return 0;
}

} // namespace herald

#pragma once
// Which channels a client may join (docs/protocol.md): names are 1–200 bytes;
// "user:…", "broadcast" and "herald.…" (the server's own, joined only by an
// exact entry) are reserved; names must be UTF-8; the token's `channels` claim lists
// allowed names, an entry ending in '*' allowing every name with that prefix.
#include <string>
#include <vector>

namespace herald {

enum class channel_check { ok, bad_name, reserved, forbidden };

// Is `name` a well-formed channel name a client could ever join?
channel_check check_channel_name(const std::string& name);

// May a client whose token allows `patterns` join `name`?
channel_check check_channel(const std::vector<std::string>& patterns, const std::string& name);

std::string user_channel(const std::string& user);

} // namespace herald

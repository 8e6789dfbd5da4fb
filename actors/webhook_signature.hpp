#pragma once
// Signed webhooks the Standard Webhooks way (docs/operations.md): a receiver
// checks that a POST came from Herald and was not replayed or altered.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace herald {

using header_list = std::vector<std::pair<std::string, std::string>>;

// webhook-id (`id`, the same on every retry), webhook-timestamp (Unix
// seconds) and webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>"
// keyed with the base64-decoded part of `secret` after "whsec_". Empty
// when the secret is not of that form.
header_list webhook_signature_headers(const std::string& secret, const std::string& id,
                                      int64_t timestamp_s, const std::string& body);

} // namespace herald

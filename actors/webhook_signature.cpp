#include "actors/webhook_signature.hpp"

#include "config/text.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace herald {

header_list webhook_signature_headers(const std::string& secret, const std::string& id,
                                      int64_t timestamp_s, const std::string& body) {
  if (secret.rfind("whsec_", 0) != 0)
    return {};
  auto key = base64_decode(secret.substr(6));
  if (key.empty())
    return {};
  auto timestamp = std::to_string(timestamp_s);
  auto content = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_len))
    return {};
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int n = EVP_EncodeBlock(encoded, mac, static_cast<int>(mac_len));
  return {{"webhook-id", id},
          {"webhook-timestamp", timestamp},
          {"webhook-signature",
           "v1," + std::string(reinterpret_cast<char*>(encoded), static_cast<size_t>(n))}};
}

} // namespace herald

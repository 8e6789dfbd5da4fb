#pragma once
// Web Push: a job for a `kind = "webpush"` sink becomes one RFC 8030
// request to the subscription's endpoint, its payload encrypted for that
// browser (RFC 8291, aes128gcm) and the request signed for the push service
// with the sink's VAPID key (RFC 8292, an ES256 JWT).
#include "actors/http_port.hpp"
#include "config/config.hpp"
#include "persistence/job.hpp"

#include <memory>
#include <optional>
#include <string>

namespace herald {

// What a browser's PushManager.subscribe() returned, keys decoded.
struct push_subscription {
  std::string endpoint; // an http(s) URL
  std::string p256dh;   // the browser's P-256 public key, 65 bytes uncompressed
  std::string auth;     // its 16-byte authentication secret
};

// `to` is the subscription as a JSON object or its text; "" and a reason when it is not one.
std::optional<push_subscription> parse_subscription(const std::string& to, std::string& error);

// The encrypted payload holds at most this much: one 4096-byte record.
constexpr size_t webpush_plaintext_max = 4096 - 86 - 16 - 1;

// The application server's key for one message (RFC 8291's as_private,
// as_public), raw: 32 and 65 bytes. Empty: a fresh one.
struct push_sender_key {
  std::string private_raw, public_raw;
};

// RFC 8291 §3.4 and RFC 8188: header (salt, rs = 4096, keyid = as_public)
// and one record. `salt` empty: 16 random bytes. nullopt for keys that are
// not P-256 points.
std::optional<std::string> webpush_encrypt(const std::string& plaintext,
                                           const push_subscription& to,
                                           const push_sender_key& sender = {},
                                           const std::string& salt = {});

class vapid_key {
public:
  // A PEM EC P-256 private key; nullptr and a reason otherwise.
  static std::shared_ptr<const vapid_key> from_pem(const std::string& pem, std::string& error);
  ~vapid_key();
  vapid_key(const vapid_key&) = delete;
  vapid_key& operator=(const vapid_key&) = delete;

  const std::string& public_raw() const { return public_raw_; } // 65 bytes uncompressed
  // "vapid t=<ES256 JWT for aud, exp, sub>, k=<public key, base64url>".
  std::string authorization(const std::string& audience, const std::string& subject,
                            int64_t exp_s) const;

private:
  explicit vapid_key(void* pkey);
  void* pkey_; // EVP_PKEY
  std::string public_raw_;
};

// The scheme, host and port of an endpoint: the JWT's audience.
std::string endpoint_origin(const std::string& endpoint);

// The request a job for a webpush sink becomes; nullopt and a reason when
// its `to` is not a subscription or its payload does not fit.
std::optional<http_request> webpush_request(const config::sink_config& sink, const vapid_key& key,
                                            const persistence::job& j, int64_t now_s,
                                            std::string& error);

// The payload a job pushes: {"job_id","text","data"}.
std::string webpush_payload(const persistence::job& j);

} // namespace herald

#include "actors/webpush.hpp"

#include "config/text.hpp"

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

namespace herald {

namespace {

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

// HKDF (RFC 5869) with SHA-256, for outputs of at most 32 bytes.
std::string hkdf(const std::string& salt, const std::string& ikm, const std::string& info,
                 size_t length) {
  auto prk = hmac_sha256(salt, ikm);
  return hmac_sha256(prk, info + '\x01').substr(0, length);
}

// A P-256 key from raw octets: `public_raw` always, `private_raw` when signing or deriving.
pkey_ptr p256_key(const std::string& public_raw, const std::string& private_raw = {}) {
  pkey_ptr none(nullptr, EVP_PKEY_free);
  if (public_raw.size() != 65 || public_raw[0] != '\x04')
    return none;
  auto* build = OSSL_PARAM_BLD_new();
  BIGNUM* priv = nullptr;
  OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, public_raw.data(),
                                   public_raw.size());
  if (!private_raw.empty()) {
    priv = BN_bin2bn(reinterpret_cast<const unsigned char*>(private_raw.data()),
                     int(private_raw.size()), nullptr);
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_PRIV_KEY, priv);
  }
  auto* params = OSSL_PARAM_BLD_to_param(build);
  auto* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  bool ok =
      params && ctx && EVP_PKEY_fromdata_init(ctx) > 0 &&
      EVP_PKEY_fromdata(ctx, &key, private_raw.empty() ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEYPAIR,
                        params) > 0;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  BN_clear_free(priv);
  if (!ok)
    return none;
  // fromdata does not check that the point is on the curve.
  auto* check = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  bool valid = check && EVP_PKEY_public_check(check) > 0;
  EVP_PKEY_CTX_free(check);
  if (!valid) {
    EVP_PKEY_free(key);
    return none;
  }
  return pkey_ptr(key, EVP_PKEY_free);
}

std::string encoded_public(EVP_PKEY* key) {
  unsigned char* raw = nullptr;
  size_t n = EVP_PKEY_get1_encoded_public_key(key, &raw);
  std::string out(reinterpret_cast<char*>(raw), n);
  OPENSSL_free(raw);
  return out;
}

std::optional<std::string> ecdh(EVP_PKEY* mine, EVP_PKEY* theirs) {
  auto* ctx = EVP_PKEY_CTX_new(mine, nullptr);
  size_t n = 0;
  std::string secret;
  bool ok = ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, theirs) > 0 &&
            EVP_PKEY_derive(ctx, nullptr, &n) > 0;
  if (ok) {
    secret.resize(n);
    ok = EVP_PKEY_derive(ctx, reinterpret_cast<unsigned char*>(secret.data()), &n) > 0;
    secret.resize(n);
  }
  EVP_PKEY_CTX_free(ctx);
  if (!ok)
    return std::nullopt;
  return secret;
}

std::optional<std::string> aes128gcm(const std::string& key, const std::string& nonce,
                                     const std::string& plain) {
  auto* ctx = EVP_CIPHER_CTX_new();
  std::string out(plain.size() + 16, '\0');
  int n = 0, tail = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  bool ok = ctx &&
            EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr,
                               reinterpret_cast<const unsigned char*>(key.data()),
                               reinterpret_cast<const unsigned char*>(nonce.data())) > 0 &&
            EVP_EncryptUpdate(ctx, o, &n, reinterpret_cast<const unsigned char*>(plain.data()),
                              int(plain.size())) > 0 &&
            EVP_EncryptFinal_ex(ctx, o + n, &tail) > 0 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, o + n + tail) > 0;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok)
    return std::nullopt;
  out.resize(size_t(n + tail) + 16);
  return out;
}

const nlohmann::json* member(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it == j.end() || !it->is_string() ? nullptr : &*it;
}

} // namespace

std::optional<push_subscription> parse_subscription(const std::string& to, std::string& error) {
  auto j = parse_json(to);
  if (!j.is_object()) {
    error = "\"to\" must be a push subscription {\"endpoint\",\"keys\":{\"p256dh\",\"auth\"}}, "
            "as PushManager.subscribe() gives it (the object or its text)";
    return std::nullopt;
  }
  push_subscription s;
  auto* endpoint = member(j, "endpoint");
  if (!endpoint || endpoint->get<std::string>().size() > 2000 ||
      (endpoint->get<std::string>().rfind("https://", 0) != 0 &&
       endpoint->get<std::string>().rfind("http://", 0) != 0)) {
    error = "the subscription's \"endpoint\" must be an http(s) URL of at most 2000 bytes";
    return std::nullopt;
  }
  s.endpoint = endpoint->get<std::string>();
  auto keys = j.find("keys");
  const nlohmann::json* p256dh = nullptr;
  const nlohmann::json* auth = nullptr;
  if (keys != j.end() && keys->is_object()) {
    p256dh = member(*keys, "p256dh");
    auth = member(*keys, "auth");
  }
  if (p256dh)
    s.p256dh = base64_decode(p256dh->get<std::string>());
  if (auth)
    s.auth = base64_decode(auth->get<std::string>());
  if (s.p256dh.size() != 65 || s.p256dh[0] != '\x04' || !p256_key(s.p256dh)) {
    error = "the subscription's \"keys.p256dh\" must be a P-256 public key (base64url)";
    return std::nullopt;
  }
  if (s.auth.size() != 16) {
    error = "the subscription's \"keys.auth\" must be 16 bytes (base64url)";
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> webpush_encrypt(const std::string& plaintext,
                                           const push_subscription& to,
                                           const push_sender_key& sender,
                                           const std::string& salt_in) {
  auto ua = p256_key(to.p256dh);
  if (!ua || to.auth.size() != 16 || plaintext.size() > webpush_plaintext_max)
    return std::nullopt;
  pkey_ptr as(nullptr, EVP_PKEY_free);
  if (sender.private_raw.empty())
    as.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  else
    as = p256_key(sender.public_raw, sender.private_raw);
  if (!as)
    return std::nullopt;
  auto as_public = encoded_public(as.get());
  auto shared = ecdh(as.get(), ua.get());
  if (!shared)
    return std::nullopt;
  std::string salt = salt_in;
  if (salt.empty()) {
    salt.resize(16);
    RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), 16);
  }
  // RFC 8291 §3.3, §3.4: the input keying material from the ECDH secret and the auth secret.
  auto key_info = std::string("WebPush: info", 13) + '\0' + to.p256dh + as_public;
  auto ikm = hkdf(to.auth, *shared, key_info, 32);
  auto cek = hkdf(salt, ikm, std::string("Content-Encoding: aes128gcm", 27) + '\0', 16);
  auto nonce = hkdf(salt, ikm, std::string("Content-Encoding: nonce", 23) + '\0', 12);
  auto sealed = aes128gcm(cek, nonce, plaintext + '\x02'); // the last record's delimiter
  if (!sealed)
    return std::nullopt;
  std::string header = salt;
  header += std::string("\x00\x00\x10\x00", 4); // rs = 4096
  header += char(as_public.size());
  header += as_public;
  return header + *sealed;
}

vapid_key::vapid_key(void* pkey) : pkey_(pkey) {
  public_raw_ = encoded_public(static_cast<EVP_PKEY*>(pkey_));
}

vapid_key::~vapid_key() {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
}

std::shared_ptr<const vapid_key> vapid_key::from_pem(const std::string& pem, std::string& error) {
  auto* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  char group[64] = {0};
  size_t len = 0;
  if (!key || !EVP_PKEY_is_a(key, "EC") ||
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) <=
          0 ||
      std::string(group) != "prime256v1") {
    EVP_PKEY_free(key);
    error = "holds no PEM EC P-256 private key (openssl ecparam -name prime256v1 -genkey -noout)";
    return nullptr;
  }
  return std::shared_ptr<const vapid_key>(new vapid_key(key));
}

std::string vapid_key::authorization(const std::string& audience, const std::string& subject,
                                     int64_t exp_s) const {
  auto header = base64url_encode(R"({"typ":"JWT","alg":"ES256"})");
  auto claims = base64url_encode(
      json_text(nlohmann::json{{"aud", audience}, {"exp", exp_s}, {"sub", subject}}));
  auto input = header + "." + claims;
  auto* md = EVP_MD_CTX_new();
  size_t n = 0;
  std::string der;
  bool ok =
      md &&
      EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, static_cast<EVP_PKEY*>(pkey_)) > 0 &&
      EVP_DigestSign(md, nullptr, &n, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) > 0;
  if (ok) {
    der.resize(n);
    ok = EVP_DigestSign(md, reinterpret_cast<unsigned char*>(der.data()), &n,
                        reinterpret_cast<const unsigned char*>(input.data()), input.size()) > 0;
    der.resize(n);
  }
  EVP_MD_CTX_free(md);
  // JOSE wants r || s, 32 bytes each, not DER.
  std::string signature(64, '\0');
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = ok ? d2i_ECDSA_SIG(nullptr, &p, long(der.size())) : nullptr;
  if (sig) {
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(signature.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(signature.data()) + 32,
                 32);
    ECDSA_SIG_free(sig);
  }
  return "vapid t=" + input + "." + base64url_encode(signature) +
         ", k=" + base64url_encode(public_raw_);
}

std::string endpoint_origin(const std::string& endpoint) {
  auto scheme = endpoint.find("://");
  if (scheme == std::string::npos)
    return endpoint;
  auto path = endpoint.find_first_of("/?#", scheme + 3);
  return endpoint.substr(0, path);
}

std::string webpush_payload(const persistence::job& j) {
  auto data = parse_json(j.data);
  if (data.is_discarded())
    data = nlohmann::json::object();
  return json_text(nlohmann::json{{"job_id", j.id}, {"text", j.text}, {"data", data}});
}

std::optional<http_request> webpush_request(const config::sink_config& sink, const vapid_key& key,
                                            const persistence::job& j, int64_t now_s,
                                            std::string& error) {
  auto to = parse_subscription(j.to, error);
  if (!to)
    return std::nullopt;
  auto payload = webpush_payload(j);
  if (payload.size() > webpush_plaintext_max) {
    error = "the push payload is " + std::to_string(payload.size()) + " bytes; at most " +
            std::to_string(webpush_plaintext_max) + " fit";
    return std::nullopt;
  }
  auto body = webpush_encrypt(payload, *to);
  if (!body) {
    error = "the payload could not be encrypted for this subscription";
    return std::nullopt;
  }
  http_request req;
  req.url = to->endpoint;
  req.timeout = sink.timeout;
  req.body = std::move(*body);
  req.content_type = "application/octet-stream";
  auto ttl = std::chrono::duration_cast<std::chrono::seconds>(sink.push_ttl).count();
  const char* urgency = j.priority == persistence::job_priority::high  ? "high"
                        : j.priority == persistence::job_priority::low ? "low"
                                                                       : "normal";
  // RFC 8292 §2: the JWT's exp at most 24 hours ahead.
  req.headers = {
      {"Content-Encoding", "aes128gcm"},
      {"TTL", std::to_string(ttl)},
      {"Urgency", urgency},
      {"Authorization", key.authorization(endpoint_origin(to->endpoint), sink.vapid_subject,
                                          now_s + int64_t(12) * 3600)}};
  return req;
}

} // namespace herald

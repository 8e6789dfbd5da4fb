#include "net/token_keys.hpp"

#include "config/text.hpp"

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

namespace herald::net {

namespace {

template <class T, void (*Free)(T*)> struct deleter {
  void operator()(T* p) const { Free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;
using bn_ptr = std::unique_ptr<BIGNUM, deleter<BIGNUM, BN_free>>;
using ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;

std::string pem_of(EVP_PKEY* key) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1)
    return {};
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string{};
}

// The algorithms a key verifies, from what it is; empty when unsupported.
std::vector<std::string> algs_of(EVP_PKEY* key, std::string& error) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) < 2048) {
        error = "RSA key shorter than 2048 bits";
        return {};
      }
      return {"RS256", "RS384", "RS512"};
    case EVP_PKEY_EC: {
      char group[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &len) != 1) {
        error = "EC key without a named curve";
        return {};
      }
      std::string g(group, len);
      if (g == "prime256v1" || g == "P-256")
        return {"ES256"};
      if (g == "secp384r1" || g == "P-384")
        return {"ES384"};
      if (g == "secp521r1" || g == "P-521")
        return {"ES512"};
      error = "EC curve " + g + " is not P-256, P-384 or P-521";
      return {};
    }
    default:
      error = "not an RSA or EC public key";
      return {};
  }
}

pkey_ptr key_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  params_ptr params(OSSL_PARAM_BLD_to_param(bld));
  ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* out = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &out, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return pkey_ptr(out);
}

std::string field(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

bn_ptr big_number(const std::string& b64) {
  auto bytes = base64_decode(b64);
  if (bytes.empty())
    return nullptr;
  return bn_ptr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()), nullptr));
}

pkey_ptr rsa_from_jwk(const nlohmann::json& jwk) {
  auto n = big_number(field(jwk, "n")), e = big_number(field(jwk, "e"));
  bld_ptr bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return nullptr;
  return key_from_params("RSA", bld.get());
}

pkey_ptr ec_from_jwk(const nlohmann::json& jwk) {
  auto crv = field(jwk, "crv");
  const char* group = crv == "P-256"   ? "prime256v1"
                      : crv == "P-384" ? "secp384r1"
                      : crv == "P-521" ? "secp521r1"
                                       : nullptr;
  size_t size = crv == "P-256" ? 32 : crv == "P-384" ? 48 : 66;
  auto x = base64_decode(field(jwk, "x")), y = base64_decode(field(jwk, "y"));
  if (!group || x.size() != size || y.size() != size)
    return nullptr;
  std::string point = "\x04" + x + y; // uncompressed point
  bld_ptr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1)
    return nullptr;
  return key_from_params("EC", bld.get());
}

} // namespace

const token_key* token_keys::pick(const std::string& alg, const std::string& kid) const {
  auto verifies = [&](const token_key& k) {
    return std::find(k.algs.begin(), k.algs.end(), alg) != k.algs.end();
  };
  if (!kid.empty())
    for (auto& k : keys_)
      if (k.kid == kid)
        return verifies(k) ? &k : nullptr;
  for (auto& k : keys_)
    if (k.kid.empty() && verifies(k))
      return &k;
  return nullptr;
}

bool token_keys::knows_kid(const std::string& kid) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](auto& k) { return k.kid == kid; });
}

token_key hmac_key(std::string secret) {
  return {{}, {"HS256", "HS384", "HS512"}, std::move(secret), false};
}

token_key key_from_pem(const std::string& pem, std::string& error) {
  error.clear();
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  pkey_ptr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    bio_ptr again(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    x509_ptr cert(again ? PEM_read_bio_X509(again.get(), nullptr, nullptr, nullptr) : nullptr);
    if (cert)
      key.reset(X509_get_pubkey(cert.get()));
  }
  if (!key) {
    error = "no PEM public key or certificate";
    return {};
  }
  token_key out;
  out.algs = algs_of(key.get(), error);
  if (out.algs.empty())
    return {};
  out.material = pem_of(key.get());
  if (out.material.empty())
    error = "the key could not be written as PEM";
  return out;
}

std::vector<token_key> keys_from_jwks(const std::string& text, std::string& error,
                                      size_t& skipped) {
  error.clear();
  skipped = 0;
  auto doc = parse_json(text);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    error = "not a JWKS document (an object with a \"keys\" list)";
    return {};
  }
  std::vector<token_key> out;
  for (auto& jwk : doc["keys"]) {
    if (!jwk.is_object()) {
      ++skipped;
      continue;
    }
    auto kty = field(jwk, "kty"), use = field(jwk, "use"), alg = field(jwk, "alg");
    pkey_ptr key = kty == "RSA" ? rsa_from_jwk(jwk) : kty == "EC" ? ec_from_jwk(jwk) : nullptr;
    std::string why;
    token_key k;
    if (key && (use.empty() || use == "sig"))
      k.algs = algs_of(key.get(), why);
    // A key that names its algorithm verifies that one only.
    if (!alg.empty() && std::find(k.algs.begin(), k.algs.end(), alg) != k.algs.end())
      k.algs = {alg};
    else if (!alg.empty())
      k.algs.clear();
    if (k.algs.empty() || field(jwk, "kid").size() > 200) {
      ++skipped;
      continue;
    }
    k.kid = field(jwk, "kid");
    k.material = pem_of(key.get());
    k.from_jwks = true;
    if (k.material.empty()) {
      ++skipped;
      continue;
    }
    out.push_back(std::move(k));
  }
  return out;
}

} // namespace herald::net

#include "actors/webpush.hpp"
#include "config/text.hpp"

#include <doctest/doctest.h>

using namespace herald;

namespace {

std::string b64(const char* text) {
  return base64_decode(text);
}

// RFC 8291 Appendix A.
const char* ua_public =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const char* auth_secret = "BTBZMqHH6r4Tts7J_aSIgg";

std::string subscription_text(
    const std::string& endpoint = "https://push.example.net/p/JzLQ3raZJfFBR0aqvOMsLrt54w4rJUsV") {
  return R"({"endpoint":")" + endpoint + R"(","keys":{"p256dh":")" + ua_public + R"(","auth":")" +
         auth_secret + R"("}})";
}

} // namespace

TEST_CASE("the RFC 8291 example's keys and salt give the RFC's bytes") {
  std::string error;
  auto to = parse_subscription(subscription_text(), error);
  REQUIRE(to);
  push_sender_key as{b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"),
                     b64("BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8w"
                         "EqKK6PBru3jl7A8")};
  auto body = webpush_encrypt("When I grow up, I want to be a watermelon", *to, as,
                              b64("DGv6ra1nlYgDCS1FRnbzlw"));
  REQUIRE(body);
  CHECK(*body == b64("DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml"
                     "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT"
                     "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"));
}

TEST_CASE("each push gets a fresh key and salt") {
  std::string error;
  auto to = parse_subscription(subscription_text(), error);
  REQUIRE(to);
  auto a = webpush_encrypt("hi", *to), b = webpush_encrypt("hi", *to);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->size() == 86 + 2 + 1 + 16);
  CHECK(a->substr(0, 16) != b->substr(0, 16));
  CHECK(a->substr(21, 65) != b->substr(21, 65));
  CHECK_FALSE(webpush_encrypt(std::string(webpush_plaintext_max + 1, 'x'), *to));
}

TEST_CASE("a subscription must be an object with an http(s) endpoint and P-256 keys") {
  std::string error;
  CHECK(parse_subscription(subscription_text("http://127.0.0.1:9/p"), error));
  CHECK_FALSE(parse_subscription("nope", error));
  CHECK(error.find("subscription") != std::string::npos);
  CHECK_FALSE(parse_subscription(subscription_text("ftp://x/p"), error));
  CHECK(error.find("endpoint") != std::string::npos);
  CHECK_FALSE(parse_subscription(
      R"({"endpoint":"https://x/p","keys":{"p256dh":"BAAA","auth":"BTBZMqHH6r4Tts7J_aSIgg"}})",
      error));
  CHECK(error.find("p256dh") != std::string::npos);
  // 65 bytes starting 04 that are no point on the curve.
  std::string off_curve = "B" + std::string(86, 'A');
  CHECK_FALSE(parse_subscription(R"({"endpoint":"https://x/p","keys":{"p256dh":")" + off_curve +
                                     R"(","auth":"BTBZMqHH6r4Tts7J_aSIgg"}})",
                                 error));
  CHECK_FALSE(parse_subscription(std::string(R"({"endpoint":"https://x/p","keys":{"p256dh":")") +
                                     ua_public + R"(","auth":"AAAA"}})",
                                 error));
  CHECK(error.find("auth") != std::string::npos);
}

TEST_CASE("the VAPID audience is the endpoint's origin") {
  CHECK(endpoint_origin("https://fcm.googleapis.com/fcm/send/abc") == "https://fcm.googleapis.com");
  CHECK(endpoint_origin("http://127.0.0.1:8123/push/1?x=2") == "http://127.0.0.1:8123");
  CHECK(endpoint_origin("https://push.example.net") == "https://push.example.net");
}

TEST_CASE("a VAPID key must be a PEM EC P-256 private key") {
  std::string error;
  CHECK_FALSE(bool(vapid_key::from_pem("not a key", error)));
  CHECK(error.find("P-256") != std::string::npos);
  // A P-384 key is refused.
  const char* p384 = "-----BEGIN PRIVATE KEY-----\n"
                     "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDAzjggnLD5BqrCLTqSP\n"
                     "i3QG4uHL6iYWBIjll7cZOcF6xUjD3fj+yrVK05dFE8W2s2uhZANiAAR5T4OmMXHc\n"
                     "HHVSf2r6ufwCDNNmVEeyJ5cCHrWb1cdVE7PDlhTKgB8DtM3YRZmMrSTVP0WVcwA0\n"
                     "UzI/ibpmz/ql3m1ArVF47i0Gmu3RhhXXZrQ7rblcnT0om37eEfXCOy0=\n"
                     "-----END PRIVATE KEY-----\n";
  CHECK_FALSE(bool(vapid_key::from_pem(p384, error)));
}

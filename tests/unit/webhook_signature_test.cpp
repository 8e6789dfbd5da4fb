#include "actors/notifier.hpp"
#include "actors/webhook_signature.hpp"

#include <doctest/doctest.h>

using namespace herald;

TEST_CASE("webhook signature: the Standard Webhooks test vector") {
  auto headers = webhook_signature_headers("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                           "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                           R"({"test": 2432232314})");
  REQUIRE(headers.size() == 3);
  CHECK(headers[0] ==
        std::pair<std::string, std::string>{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"});
  CHECK(headers[1].second == "1614265330");
  CHECK(headers[2].second == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  CHECK(webhook_signature_headers("not-a-secret", "m", 1, "{}").empty());
  CHECK(webhook_signature_headers("whsec_!!!", "m", 1, "{}").empty());
}

TEST_CASE("a webhook request carries the sink's headers and, with a secret, its signature") {
  config::sink_config sink;
  sink.kind = "webhook";
  sink.url = "http://127.0.0.1:9/hook";
  sink.headers = {{"X-Team", "ops"}};
  persistence::job j;
  j.id = "j-1";
  j.sink = "hook";
  j.data = "{}";
  auto plain = request_for(sink, j, 1700000000);
  CHECK(plain.headers == header_list{{"X-Team", "ops"}});
  sink.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto signed_req = request_for(sink, j, 1700000000);
  REQUIRE(signed_req.headers.size() == 4);
  CHECK(signed_req.headers[1].first == "webhook-id");
  CHECK(signed_req.headers[1].second == "j-1");
  auto expected = webhook_signature_headers(sink.secret, "j-1", 1700000000, signed_req.body);
  CHECK(signed_req.headers[3] == expected[2]);
}

#pragma once
// The server's token_port: checks client tokens against auth.jwt_secret,
// auth.public_key_file and the keys of auth.jwks_url (docs/security.md).
// The JWKS is fetched at start and every auth.jwks_refresh on its own
// thread; a token whose `kid` no key has makes one early refetch (at most
// one per `min_refetch_gap`) and waits for it. Thread-safe.
#include "actors/token_port.hpp"
#include "net/token_keys.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace herald::net {

class http_client;
class periodic_thread;

class token_verifier final : public token_port {
public:
  struct settings {
    std::string secret;         // HS256/384/512; may be empty
    std::string public_key_pem; // the contents of auth.public_key_file; may be empty
    std::string jwks_url;       // may be empty
    std::chrono::milliseconds jwks_refresh{600000};
    std::chrono::milliseconds jwks_timeout{5000};
    std::chrono::milliseconds min_refetch_gap{10000};
    size_t max_waiting = 1024; // verifications waiting for a refetch; more are refused at once
    int64_t leeway_s = 60;
  };

  // Refuses (std::invalid_argument, naming the config key) a PEM that holds no usable key.
  explicit token_verifier(settings s);
  ~token_verifier() override;

  // With a JWKS URL: fetches it and waits up to jwks_timeout for the first
  // answer (a failure is logged; tokens wait for a later fetch), then keeps
  // refreshing. Without one: nothing.
  void start();
  void stop();

  void verify(std::string token, std::function<void(token_result)> done) override;
  // With the keys held now; never waits.
  token_result verify_now(const std::string& token) const;

  size_t jwks_keys() const { return jwks_keys_.load(); }
  uint64_t jwks_fetches(bool ok) const { return ok ? fetches_ok_.load() : fetches_failed_.load(); }

private:
  struct waiting_check {
    std::string token;
    std::function<void(token_result)> done;
  };
  std::shared_ptr<const token_keys> keys() const;
  void fetch();
  void on_jwks(int status, const std::string& body, const std::string& error);

  settings settings_;
  token_keys static_keys_;
  mutable std::mutex mutex_;
  std::shared_ptr<const token_keys> keys_;
  std::vector<waiting_check> waiting_;
  bool fetching_ = false;
  bool fetched_once_ = false;
  std::chrono::steady_clock::time_point last_early_fetch_{};
  std::condition_variable first_fetch_;
  std::atomic<size_t> jwks_keys_{0};
  std::atomic<uint64_t> fetches_ok_{0}, fetches_failed_{0};
  std::unique_ptr<http_client> http_;
  std::unique_ptr<periodic_thread> refresher_;
};

} // namespace herald::net

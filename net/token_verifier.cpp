#include "net/token_verifier.hpp"

#include "config/log.hpp"
#include "net/http_client.hpp"
#include "net/jwt_auth.hpp"
#include "net/periodic_thread.hpp"

#include <stdexcept>

namespace herald::net {

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

token_verifier::token_verifier(settings s) : settings_(std::move(s)) {
  if (!settings_.secret.empty())
    static_keys_.add(hmac_key(settings_.secret));
  if (!settings_.public_key_pem.empty()) {
    std::string error;
    auto key = key_from_pem(settings_.public_key_pem, error);
    if (!error.empty())
      throw std::invalid_argument("auth.public_key_file: " + error);
    static_keys_.add(std::move(key));
  }
  keys_ = std::make_shared<const token_keys>(static_keys_);
  if (!settings_.jwks_url.empty())
    http_ = std::make_unique<http_client>();
}

token_verifier::~token_verifier() {
  stop();
}

void token_verifier::start() {
  if (!http_ || refresher_)
    return;
  refresher_ = std::make_unique<periodic_thread>(settings_.jwks_refresh, [this] { fetch(); });
  std::unique_lock<std::mutex> lock(mutex_);
  first_fetch_.wait_for(lock, settings_.jwks_timeout + std::chrono::milliseconds(500),
                        [&] { return fetched_once_; });
}

void token_verifier::stop() {
  if (refresher_)
    refresher_->stop();
  if (http_)
    http_->stop();
  std::vector<waiting_check> left;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    left.swap(waiting_);
  }
  for (auto& w : left)
    w.done({std::nullopt, "the server is stopping", false});
}

std::shared_ptr<const token_keys> token_verifier::keys() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return keys_;
}

token_result token_verifier::verify_now(const std::string& token) const {
  return verify_token(token, *keys(), unix_now(), settings_.leeway_s);
}

void token_verifier::verify(std::string token, std::function<void(token_result)> done) {
  auto result = verify_now(token);
  if (!result.unknown_kid || !http_)
    return done(std::move(result));
  bool start_fetch = false;
  std::function<void(token_result)> refused_now;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    bool may_start = !fetching_ && now - last_early_fetch_ >= settings_.min_refetch_gap;
    if ((fetching_ || may_start) && waiting_.size() < settings_.max_waiting) {
      // Answered when the fetch in flight (or the one started here) is done.
      waiting_.push_back({std::move(token), std::move(done)});
      if (may_start)
        last_early_fetch_ = now;
      start_fetch = may_start;
    } else {
      // A refetch ran moments ago, or too many wait for one: refused now.
      refused_now = std::move(done);
    }
  }
  if (refused_now)
    return refused_now(std::move(result));
  if (start_fetch)
    fetch();
}

void token_verifier::fetch() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fetching_)
      return;
    fetching_ = true;
  }
  http_request req;
  req.url = settings_.jwks_url;
  req.method = "GET";
  req.timeout = settings_.jwks_timeout;
  http_->post(std::move(req), [this](http_response r) { on_jwks(r.status, r.body, r.error); });
}

void token_verifier::on_jwks(int status, const std::string& body, const std::string& error) {
  std::shared_ptr<const token_keys> fresh;
  if (status == 200) {
    std::string why;
    size_t skipped = 0;
    auto found = keys_from_jwks(body, why, skipped);
    if (why.empty()) {
      token_keys next = static_keys_;
      for (auto& k : found)
        next.add(std::move(k));
      fresh = std::make_shared<const token_keys>(std::move(next));
      jwks_keys_ = found.size();
      ++fetches_ok_;
      log::debug("auth", "JWKS: " + std::to_string(found.size()) + " keys, " +
                             std::to_string(skipped) + " entries skipped");
    } else {
      ++fetches_failed_;
      log::warn("auth", "JWKS at auth.jwks_url is unusable: " + why);
    }
  } else {
    ++fetches_failed_;
    log::warn("auth", "JWKS fetch failed: " + (status ? "HTTP " + std::to_string(status) : error));
  }
  std::vector<waiting_check> ready;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fresh)
      keys_ = fresh;
    fetching_ = false;
    fetched_once_ = true;
    ready.swap(waiting_);
  }
  first_fetch_.notify_all();
  for (auto& w : ready)
    w.done(verify_now(w.token));
}

} // namespace herald::net

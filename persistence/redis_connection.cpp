#include "persistence/redis_connection.hpp"

#include "persistence/store.hpp"

#include <hiredis/hiredis.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <poll.h>

namespace herald::persistence {

namespace {

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

redis_reply convert(const redisReply* r) {
  redis_reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = redis_reply::kind::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = redis_reply::kind::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = redis_reply::kind::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = redis_reply::kind::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = redis_reply::kind::array;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i)
        out.elements.push_back(convert(r->element[i]));
      break;
    default:
      break;
  }
  return out;
}

} // namespace

namespace {

// hiredis 0.14 allocates an array's element table from the count a reply
// declares ("*2000000000\r\n" is 16 GB), and has no limit of its own (1.0 has
// maxelements). These are its reply builders with that limit: past it the
// reader fails with "out of memory" and the connection is dropped.
std::atomic<uint64_t> reply_elements_limit{1'000'000};

redisReply* new_reply(const redisReadTask* task, int type) {
  auto* r = static_cast<redisReply*>(calloc(1, sizeof(redisReply)));
  if (!r)
    return nullptr;
  r->type = type;
  if (task->parent)
    static_cast<redisReply*>(task->parent->obj)->element[task->idx] = r;
  return r;
}

void* create_string(const redisReadTask* task, char* str, size_t len) {
  auto* buf = static_cast<char*>(malloc(len + 1));
  if (!buf)
    return nullptr;
  auto* r = new_reply(task, task->type);
  if (!r) {
    free(buf);
    return nullptr;
  }
  memcpy(buf, str, len);
  buf[len] = '\0';
  r->str = buf;
  r->len = len;
  return r;
}

void* create_array(const redisReadTask* task, int elements) {
  if (elements < 0 || uint64_t(elements) > reply_elements_limit.load(std::memory_order_relaxed))
    return nullptr;
  redisReply** table = nullptr;
  if (elements > 0) {
    table = static_cast<redisReply**>(calloc(size_t(elements), sizeof(redisReply*)));
    if (!table)
      return nullptr;
  }
  auto* r = new_reply(task, REDIS_REPLY_ARRAY);
  if (!r) {
    free(table);
    return nullptr;
  }
  r->element = table;
  r->elements = size_t(elements);
  return r;
}

void* create_integer(const redisReadTask* task, long long value) {
  auto* r = new_reply(task, REDIS_REPLY_INTEGER);
  if (r)
    r->integer = value;
  return r;
}

void* create_nil(const redisReadTask* task) {
  return new_reply(task, REDIS_REPLY_NIL);
}

redisReplyObjectFunctions capped_functions{create_string, create_array, create_integer, create_nil,
                                           freeReplyObject};

} // namespace

void set_max_reply_elements(uint64_t n) {
  reply_elements_limit.store(n);
}

std::vector<redis_reply> decode_replies(const std::string& bytes, bool& protocol_error) {
  std::unique_ptr<redisReader, decltype(&redisReaderFree)> reader(
      redisReaderCreateWithFunctions(&capped_functions), &redisReaderFree);
  std::vector<redis_reply> out;
  protocol_error = !reader || redisReaderFeed(reader.get(), bytes.data(), bytes.size()) != REDIS_OK;
  while (!protocol_error) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) {
      protocol_error = true;
      break;
    }
    if (!raw)
      break;
    auto* r = static_cast<redisReply*>(raw);
    out.push_back(convert(r));
    freeReplyObject(r);
  }
  return out;
}

namespace {

// Takes ownership of a hiredis reply and converts it.
redis_reply take(void* raw) {
  auto* r = static_cast<redisReply*>(raw);
  auto out = convert(r);
  freeReplyObject(r);
  return out;
}

} // namespace

std::optional<redis_endpoint> redis_endpoint::parse(const std::string& url, std::string& error) {
  const std::string scheme = "redis://";
  if (url.compare(0, scheme.size(), scheme) != 0) {
    error = "must start with redis:// (TLS is not supported by hiredis 0.14)";
    return std::nullopt;
  }
  redis_endpoint e;
  auto rest = url.substr(scheme.size());
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    auto creds = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = creds.find(':');
    e.password = colon == std::string::npos ? creds : creds.substr(colon + 1);
  }
  std::string hostport = rest, db;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    hostport = rest.substr(0, slash);
    db = rest.substr(slash + 1);
  }
  auto colon = hostport.rfind(':');
  e.host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
  if (e.host.empty()) {
    error = "has no host";
    return std::nullopt;
  }
  auto number = [](const std::string& s, int lo, int hi, int& out) {
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
      return false;
    out = std::stoi(s);
    return out >= lo && out <= hi;
  };
  if (colon != std::string::npos && !number(hostport.substr(colon + 1), 1, 65535, e.port)) {
    error = "has a bad port";
    return std::nullopt;
  }
  if (!db.empty() && !number(db, 0, 10000, e.db)) {
    error = "has a bad database number";
    return std::nullopt;
  }
  return e;
}

std::string redis_endpoint::display() const {
  return host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

redis_connection::redis_connection(const redis_endpoint& where,
                                   std::chrono::milliseconds connect_timeout,
                                   std::chrono::milliseconds command_timeout)
    : where_(where.display()) {
  ctx_ = redisConnectWithTimeout(where.host.c_str(), where.port, to_timeval(connect_timeout));
  if (!ctx_)
    throw store_error("redis " + where_ + ": out of memory");
  // A constructor that throws runs no destructor: free the context here, or
  // every failed reconnect while Redis is down leaks one (LeakSanitizer found it).
  try {
    if (ctx_->err)
      fail(ctx_->errstr);
    ctx_->reader->fn = &capped_functions;
    redisSetTimeout(ctx_, to_timeval(command_timeout));
    redisEnableKeepAlive(ctx_);
    std::vector<redis_command> setup;
    if (!where.password.empty())
      setup.push_back({"AUTH", where.password});
    if (where.db != 0)
      setup.push_back({"SELECT", std::to_string(where.db)});
    if (!setup.empty())
      for (auto& r : pipeline(setup))
        if (r.is_error())
          fail(r.str);
  } catch (...) {
    redisFree(ctx_);
    ctx_ = nullptr;
    throw;
  }
}

redis_connection::~redis_connection() {
  if (ctx_)
    redisFree(ctx_);
}

void redis_connection::fail(const std::string& what) {
  throw store_error("redis " + where_ + ": " + what);
}

void redis_connection::append(const redis_command& command) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto& a : command) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_, int(argv.size()), argv.data(), lens.data()) != REDIS_OK)
    fail(ctx_->errstr);
}

void redis_connection::send(const redis_command& command) {
  append(command);
  int done = 0;
  while (!done)
    if (redisBufferWrite(ctx_, &done) != REDIS_OK)
      fail(ctx_->errstr);
}

std::vector<redis_reply> redis_connection::pipeline(const std::vector<redis_command>& commands) {
  for (auto& c : commands)
    append(c);
  std::vector<redis_reply> out;
  out.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw)
      fail(ctx_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)
               ? std::string("command timed out")
               : std::string(ctx_->errstr));
    out.push_back(take(raw));
  }
  return out;
}

std::optional<redis_reply> redis_connection::read(std::chrono::milliseconds wait) {
  void* raw = nullptr;
  if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK)
    fail(ctx_->errstr);
  if (raw)
    return take(raw);
  pollfd p{ctx_->fd, POLLIN, 0};
  int n = ::poll(&p, 1, int(wait.count()));
  if (n < 0 && errno != EINTR)
    fail(std::strerror(errno));
  if (n <= 0)
    return std::nullopt;
  if (redisBufferRead(ctx_) != REDIS_OK)
    fail(ctx_->errstr[0] ? ctx_->errstr : "connection closed");
  if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK)
    fail(ctx_->errstr);
  if (raw)
    return take(raw);
  return std::nullopt;
}

} // namespace herald::persistence

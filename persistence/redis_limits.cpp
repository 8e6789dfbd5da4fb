// The Redis store's shared sink limits (rules: sink_limits.hpp): the rate
// window `{prefix}rate:{sink}` (a hash: slot number → sends, expiring after
// the span) and the breaker `{prefix}breaker:{sink}` (a hash: phase,
// failures, until; gone while closed with no failure). Each admission and
// each report is one script on Redis's clock, so every node sees the same
// window and the same breaker whatever its own clock says.
#include "persistence/redis_store.hpp"

#include <chrono>

namespace herald::persistence {

namespace {

// KEYS[1] rate window, KEYS[2] breaker; ARGV: want, per second, slot ms,
// span (slots), probe lease ms. Returns {granted, retry ms, probe, phase,
// failures, until - now}.
constexpr const char* acquire_script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local want = tonumber(ARGV[1])
local b = redis.call('HMGET', KEYS[2], 'phase', 'failures', 'until')
local phase = tonumber(b[1]) or 0
local failures = tonumber(b[2]) or 0
local till = tonumber(b[3]) or 0
local probe = 0
if phase ~= 0 then
  if now < till then return {0, till - now, 0, phase, failures, till - now} end
  phase = 2
  till = now + tonumber(ARGV[5])
  probe = 1
  if want > 1 then want = 1 end
  redis.call('HSET', KEYS[2], 'phase', 2, 'failures', failures, 'until', string.format('%d', till))
end
local per_sec, slot_ms, span = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local slot = math.floor(now / slot_ms)
local h = redis.call('HGETALL', KEYS[1])
local used, kept = 0, {}
for i = 1, #h, 2 do
  local s = tonumber(h[i])
  if s == nil or s <= slot - span then
    redis.call('HDEL', KEYS[1], h[i])
  else
    local n = tonumber(h[i + 1]) or 0
    used = used + n
    table.insert(kept, {s, n})
  end
end
local granted = math.min(want, per_sec - used)
if granted <= 0 then
  table.sort(kept, function(x, y) return x[1] < y[1] end)
  local retry, freed = slot_ms, 0
  for _, e in ipairs(kept) do
    freed = freed + e[2]
    if used - freed < per_sec then
      retry = math.max(1, (e[1] + span) * slot_ms - now)
      break
    end
  end
  if probe == 1 then
    phase, till, probe = 1, now, 0
    redis.call('HSET', KEYS[2], 'phase', 1, 'until', string.format('%d', till))
  end
  return {0, retry, 0, phase, failures, till - now}
end
redis.call('HINCRBY', KEYS[1], string.format('%d', slot), granted)
redis.call('PEXPIRE', KEYS[1], (span + 1) * slot_ms)
return {granted, 0, probe, phase, failures, till - now}
)lua";

// KEYS[1] breaker; ARGV: result (0 delivered, 1 failed, 2 neutral), probe
// (0/1), failures that open it, cooldown ms. Returns {phase, failures, until - now}.
constexpr const char* report_script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'phase', 'failures', 'until')
local phase = tonumber(b[1]) or 0
local failures = tonumber(b[2]) or 0
local till = tonumber(b[3]) or 0
local result, probe = tonumber(ARGV[1]), tonumber(ARGV[2])
if result == 0 then
  redis.call('DEL', KEYS[1])
  return {0, 0, 0}
end
if result == 1 then
  failures = failures + 1
  if (probe == 1 and phase == 2) or (phase == 0 and failures >= tonumber(ARGV[3])) then
    phase, till = 1, now + tonumber(ARGV[4])
  end
elseif probe == 1 and phase == 2 then
  phase, till = 1, now
else
  return {phase, failures, till - now}
end
redis.call('HSET', KEYS[1], 'phase', phase, 'failures', failures, 'until', string.format('%d', till))
return {phase, failures, till - now}
)lua";

int64_t local_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t element(const redis_reply& r, size_t i) {
  if (i >= r.elements.size() || r.elements[i].type != redis_reply::kind::integer)
    throw store_error("redis: unexpected answer from a sink limit script");
  return r.elements[i].integer;
}

// Redis's "until - now" on this node's clock.
breaker_record breaker_of(const redis_reply& r, size_t at) {
  breaker_record b;
  b.phase = breaker_phase(std::clamp<int64_t>(element(r, at), 0, 2));
  b.failures = uint32_t(std::clamp<int64_t>(element(r, at + 1), 0, UINT32_MAX));
  b.until_ms = b.phase == breaker_phase::closed ? 0 : local_now_ms() + element(r, at + 2);
  return b;
}

} // namespace

admission redis_store::sink_acquire(const std::string& sink, const sink_limits& limits,
                                    uint32_t want) {
  auto r = one({"EVAL", acquire_script, "2", prefix_ + "rate:" + sink, prefix_ + "breaker:" + sink,
                std::to_string(want), std::to_string(std::max<uint32_t>(1, limits.rate_per_sec)),
                std::to_string(rate_slot_ms), std::to_string(rate_span_slots),
                std::to_string(limits.probe_lease_ms)});
  admission a;
  a.granted = uint32_t(std::clamp<int64_t>(element(r, 0), 0, want));
  a.retry_in_ms = std::max<int64_t>(0, element(r, 1));
  a.probe = element(r, 2) == 1;
  a.breaker = breaker_of(r, 3);
  return a;
}

admission redis_store::sink_report(const std::string& sink, const sink_limits& limits,
                                   send_result result, bool probe) {
  auto code = result == send_result::delivered ? "0" : result == send_result::failed ? "1" : "2";
  auto r = one({"EVAL", report_script, "1", prefix_ + "breaker:" + sink, code, probe ? "1" : "0",
                std::to_string(std::max<uint32_t>(1, limits.breaker_failures)),
                std::to_string(limits.cooldown_ms)});
  admission a;
  a.breaker = breaker_of(r, 0);
  return a;
}

} // namespace herald::persistence

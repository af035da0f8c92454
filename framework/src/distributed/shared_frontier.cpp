#include "distributed/shared_frontier.h"

#include <unistd.h>
#include <xxhash.h>

#include <charconv>
#include <random>

namespace newshound::distributed {
namespace {

// Every script starts here: ARGV[1] the key prefix, ARGV[2] the worker,
// ARGV[3] the worker's call sequence number. A call sent again after a lost
// reply (same sequence number) gets the stored reply and changes nothing.
// `now` is the server's clock, so workers on machines whose clocks differ
// still agree on every time in the crawl.
constexpr const char* kPreamble = R"lua(
local p, w, seq = ARGV[1], ARGV[2], ARGV[3]
local rk = p .. 'reply:' .. w
local prev = redis.call('GET', rk)
if prev then
  local stored = cjson.decode(prev)
  if stored[1] == seq then return stored[2] end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function reply(r)
  redis.call('SET', rk, cjson.encode({seq, r}), 'PX', 600000)
  return r
end
-- When the host may be asked next: now, or later if it was released with a
-- politeness wait still to run.
local function ready_at(h)
  local c = tonumber(redis.call('GET', p .. 'clock:' .. h) or '0')
  return math.max(now, c)
end
-- New work for a host: claimable from `at`, unless it is leased (its score
-- is then the lease's end) or already claimable sooner.
local function wake(h, at)
  if redis.call('EXISTS', p .. 'lease:' .. h) == 1 then
    redis.call('ZADD', p .. 'hosts', 'NX', at, h)
  else
    redis.call('ZADD', p .. 'hosts', 'LT', at, h)
  end
end
)lua";

const std::string kJoin = std::string(kPreamble) + R"lua(
local site = ARGV[4]
local rkey = p .. 'run:' .. site
local n = tonumber(redis.call('HGET', rkey, 'number') or '0')
if redis.call('HGET', rkey, 'state') == 'active' then
  return reply({n, 0, tonumber(redis.call('HGET', rkey, 'started_ms'))})
end
n = n + 1
redis.call('HSET', rkey, 'number', n, 'state', 'active', 'started_ms', now, 'starter', w)
-- The seed token: open until the starter has offered the start URLs.
redis.call('SET', p .. 'open:' .. site .. ':' .. n, 1)
return reply({n, 1, now})
)lua";

const std::string kOffer = std::string(kPreamble) + R"lua(
local site, run = ARGV[4], ARGV[5]
local seen = p .. 'seen:' .. site .. ':' .. run
local out, added = {}, 0
for i = 6, #ARGV, 4 do
  local new = redis.call('SADD', seen, ARGV[i]) == 1
  local h = ARGV[i + 1]
  if new and h ~= '' then
    if ARGV[i + 3] == '1' then
      redis.call('LPUSH', p .. 'q:' .. h, ARGV[i + 2])
    else
      redis.call('RPUSH', p .. 'q:' .. h, ARGV[i + 2])
    end
    wake(h, ready_at(h))
    added = added + 1
  end
  out[#out + 1] = new and '1' or '0'
end
if added > 0 then redis.call('INCRBY', p .. 'open:' .. site .. ':' .. run, added) end
return reply(table.concat(out))
)lua";

const std::string kTransfer = std::string(kPreamble) + R"lua(
local site, run, from, field, fp, to, item = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
if redis.call('HEXISTS', p .. 'inflight:' .. from, field) == 0 then return reply(2) end
if redis.call('SADD', p .. 'seen:' .. site .. ':' .. run, fp) == 0 then return reply(1) end
redis.call('HDEL', p .. 'inflight:' .. from, field)
redis.call('LPUSH', p .. 'q:' .. to, item)
wake(to, ready_at(to))
return reply(0)
)lua";

const std::string kClaim = std::string(kPreamble) + R"lua(
local ttl, max_hosts, per_host, held = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('SET', p .. 'worker:' .. w, now, 'PX', ttl)
redis.call('ZADD', p .. 'workers', now, w)
redis.call('ZREMRANGEBYSCORE', p .. 'workers', '-inf', now - ttl)
-- Fairness: a worker holds at most its share of the hosts with work, and
-- does not take back a host it has just given back while other workers
-- are there to take it.
local live = redis.call('ZCARD', p .. 'workers')
local share = math.ceil(redis.call('ZCARD', p .. 'hosts') / live)
max_hosts = math.min(max_hosts, share - held)
if max_hosts <= 0 then return reply({}) end
local hosts = redis.call('ZRANGEBYSCORE', p .. 'hosts', '-inf', now, 'LIMIT', 0, max_hosts * 4)
local out, leased = {}, 0
for _, h in ipairs(hosts) do
  if leased >= max_hosts then break end
  local lk = p .. 'lease:' .. h
  if redis.call('EXISTS', lk) == 0 and (live == 1 or redis.call('GET', p .. 'last:' .. h) ~= w) then
    local fk, qk = p .. 'inflight:' .. h, p .. 'q:' .. h
    -- URLs in flight whose worker is gone (no heartbeat): it died before
    -- their outcome was safe. They go back to the head of the queue.
    local entries = redis.call('HGETALL', fk)
    local orphans = 0
    for j = #entries - 1, 1, -2 do
      local v = entries[j + 1]
      local cut = string.find(v, '\n', 1, true)
      if redis.call('EXISTS', p .. 'worker:' .. string.sub(v, 1, cut - 1)) == 0 then
        redis.call('LPUSH', qk, string.sub(v, cut + 1))
        redis.call('HDEL', fk, entries[j])
        orphans = orphans + 1
      end
    end
    local items = redis.call('LPOP', qk, per_host)
    if not items then
      if redis.call('EXISTS', fk) == 1 then
        -- In flight with a live worker (its lease may have ended a moment
        -- before its heartbeat): looked at again later, in case it died.
        redis.call('ZADD', p .. 'hosts', now + ttl, h)
      else
        redis.call('ZREM', p .. 'hosts', h)
      end
    else
      for _, it in ipairs(items) do
        local a = string.find(it, '\t', 1, true)
        local b = string.find(it, '\t', a + 1, true)
        redis.call('HSET', fk, string.sub(it, 1, b - 1), w .. '\n' .. it)
      end
      redis.call('SET', lk, w, 'PX', ttl)
      redis.call('ZADD', p .. 'hosts', now + ttl, h)
      out[#out + 1] = h
      out[#out + 1] = orphans
      out[#out + 1] = #items
      for _, it in ipairs(items) do out[#out + 1] = it end
      leased = leased + 1
    end
  end
end
return reply(out)
)lua";

const std::string kComplete = std::string(kPreamble) + R"lua(
local site, run = ARGV[4], ARGV[5]
local closed = 0
for i = 6, #ARGV, 2 do
  if ARGV[i] == '' then
    closed = closed + 1
  elseif redis.call('HDEL', p .. 'inflight:' .. ARGV[i], ARGV[i + 1]) == 1 then
    closed = closed + 1
  end
end
local left = tonumber(redis.call('DECRBY', p .. 'open:' .. site .. ':' .. run, closed))
if left <= 0 then
  local rkey = p .. 'run:' .. site
  if redis.call('HGET', rkey, 'number') == run and redis.call('HGET', rkey, 'state') == 'active' then
    redis.call('HSET', rkey, 'state', 'finished', 'finished_ms', now)
    redis.call('PEXPIRE', p .. 'seen:' .. site .. ':' .. run, 86400000)
  end
end
return reply(left)
)lua";

const std::string kRequeue = std::string(kPreamble) + R"lua(
local h, field, item = ARGV[4], ARGV[5], ARGV[6]
if redis.call('HDEL', p .. 'inflight:' .. h, field) == 1 then
  redis.call('LPUSH', p .. 'q:' .. h, item)
  wake(h, ready_at(h))
end
return reply(1)
)lua";

const std::string kRelease = std::string(kPreamble) + R"lua(
local h, wait, grace = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
if redis.call('GET', p .. 'lease:' .. h) ~= w then return reply(0) end
redis.call('DEL', p .. 'lease:' .. h)
redis.call('SET', p .. 'last:' .. h, w, 'PX', grace)
if wait > 0 then redis.call('SET', p .. 'clock:' .. h, now + wait, 'PX', wait + 60000) end
if redis.call('LLEN', p .. 'q:' .. h) > 0 or redis.call('HLEN', p .. 'inflight:' .. h) > 0 then
  redis.call('ZADD', p .. 'hosts', now + wait, h)
else
  redis.call('ZREM', p .. 'hosts', h)
end
return reply(1)
)lua";

const std::string kRenew = std::string(kPreamble) + R"lua(
local ttl = tonumber(ARGV[4])
redis.call('SET', p .. 'worker:' .. w, now, 'PX', ttl)
redis.call('ZADD', p .. 'workers', now, w)
local lost = {}
for i = 5, #ARGV do
  local lk = p .. 'lease:' .. ARGV[i]
  if redis.call('GET', lk) == w then
    redis.call('PEXPIRE', lk, ttl)
    redis.call('ZADD', p .. 'hosts', 'XX', now + ttl, ARGV[i])
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return reply(lost)
)lua";

// An article's entry: "<hash>" once written, "<hash> <worker>" while its
// worker has it in a sink not flushed yet. A claim held by a worker whose
// heartbeat is gone is taken over: that worker died before its sinks had
// the article for sure, and its URL came back to the queue.
const std::string kClaimArticle = std::string(kPreamble) + R"lua(
local ak, key, hash = p .. 'articles:' .. ARGV[4], ARGV[5], ARGV[6]
local v = redis.call('HGET', ak, key)
if v then
  local h, owner = string.match(v, '^(%S+) (%S+)$')
  if not h then
    if v == hash then return reply(0) end
  elseif h == hash and (owner == w or redis.call('EXISTS', p .. 'worker:' .. owner) == 1) then
    return reply(0)
  end
end
redis.call('HSET', ak, key, hash .. ' ' .. w)
return reply(1)
)lua";

const std::string kConfirm = std::string(kPreamble) + R"lua(
local ak = p .. 'articles:' .. ARGV[4]
for i = 5, #ARGV, 2 do
  if redis.call('HGET', ak, ARGV[i]) == ARGV[i + 1] .. ' ' .. w then redis.call('HSET', ak, ARGV[i], ARGV[i + 1]) end
end
return reply(1)
)lua";

int64_t AsInteger(const RedisValue& value) {
  if (value.type == RedisValue::Type::kInteger) return value.integer;
  int64_t out = 0;
  std::from_chars(value.text.data(), value.text.data() + value.text.size(), out);
  return out;
}

Status Unexpected(const std::string& what) {
  return Status(ErrorCode::kInternal, "redis: unexpected reply to " + what);
}

std::string MakeWorkerId() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof(host), "host");
  for (char* c = host; *c; ++c)
    if (*c == ' ' || *c == '\t') *c = '_';
  std::random_device random;
  char id[320];
  std::snprintf(id, sizeof(id), "%s-%d-%08x", host, static_cast<int>(::getpid()), random());
  return id;
}

}  // namespace

std::string SharedItem::Encode() const {
  std::string out = site;
  out += '\t';
  out += url;
  out += '\t';
  out += std::to_string(run);
  out += '\t';
  out += std::to_string(depth);
  out += '\t';
  out += high_priority ? '1' : '0';
  for (const auto& hop : redirects) {
    out += '\t';
    out += hop;
  }
  return out;
}

std::optional<SharedItem> SharedItem::Decode(std::string_view text) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t tab = text.find('\t', start);
    parts.push_back(text.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  if (parts.size() < 5 || parts[0].empty() || parts[1].empty()) return std::nullopt;
  SharedItem item;
  item.site = std::string(parts[0]);
  item.url = std::string(parts[1]);
  auto number = [](std::string_view text, auto& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size() && out >= 0;
  };
  if (!number(parts[2], item.run) || !number(parts[3], item.depth)) return std::nullopt;
  if (parts[4] != "0" && parts[4] != "1") return std::nullopt;
  item.high_priority = parts[4] == "1";
  for (size_t i = 5; i < parts.size(); ++i) item.redirects.emplace_back(parts[i]);
  return item;
}

std::string SharedItem::Field(std::string_view site, std::string_view url) {
  std::string out(site);
  out += '\t';
  out += url;
  return out;
}

std::string UrlFingerprint(std::string_view url) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(XXH3_64bits(url.data(), url.size())));
  return std::string(hex, 16);
}

SharedFrontier::SharedFrontier(RedisAddress address, SharedFrontierOptions options)
    : options_(std::move(options)),
      redis_(std::move(address), options_.redis),
      prefix_("{nh:" + options_.crawl + "}:"),
      worker_(MakeWorkerId()) {}

Result<std::unique_ptr<SharedFrontier>> SharedFrontier::Connect(const RedisAddress& address,
                                                                SharedFrontierOptions options) {
  std::unique_ptr<SharedFrontier> frontier(new SharedFrontier(address, std::move(options)));
  if (Status status = frontier->redis_.Connect(); !status.ok()) return status;
  // Scripts with several keys, LPOP with a count: Redis 7 (6.2 at least).
  auto info = frontier->redis_.Call({"INFO", "server"});
  if (!info.ok()) return info.status();
  const size_t at = info->text.find("redis_version:");
  const int major = at == std::string::npos ? 0 : std::atoi(info->text.c_str() + at + 14);
  if (major < 7)
    return Status(ErrorCode::kInvalidArgument, address.ToString() + ": Redis 7 or later needed (the server says " +
                                                   (at == std::string::npos ? std::string("no version")
                                                                            : info->text.substr(at + 14, 8)) + ")");
  return frontier;
}

Result<RedisValue> SharedFrontier::Run(const std::string& script, std::vector<std::string> args) {
  args.insert(args.begin(), {prefix_, worker_, std::to_string(++sequence_)});
  last_script_ = &script;
  last_args_ = args;
  return redis_.Eval(script, prefix_ + "hosts", args);
}

Result<RedisValue> SharedFrontier::RepeatLastCall() {
  if (last_script_ == nullptr) return Status(ErrorCode::kInvalidArgument, "no call to repeat");
  return redis_.Eval(*last_script_, prefix_ + "hosts", last_args_);
}

Result<SharedFrontier::Join> SharedFrontier::JoinRun(const std::string& site) {
  auto reply = Run(kJoin, {site});
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() != 3) return Unexpected("the run join");
  return Join{AsInteger(reply->elements[0]), AsInteger(reply->elements[1]) == 1, AsInteger(reply->elements[2])};
}

Status SharedFrontier::SeedDone(const std::string& site, int64_t run) {
  auto left = Complete(site, run, {{"", ""}});
  return left.ok() ? Status::Ok() : left.status();
}

Result<bool> SharedFrontier::RunFinished(const std::string& site, int64_t run) {
  auto reply = redis_.Call({"HMGET", prefix_ + "run:" + site, "number", "state"});
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() != 2) return Unexpected("HMGET of the run");
  if (reply->elements[0].nil()) return true;  // the crawl's keys were deleted: nothing to wait for
  return AsInteger(reply->elements[0]) != run || reply->elements[1].text == "finished";
}

Result<std::vector<bool>> SharedFrontier::OfferUrls(const std::string& site, int64_t run, const std::vector<Offer>& offers) {
  std::vector<bool> out;
  if (offers.empty()) return out;
  std::vector<std::string> args{site, std::to_string(run)};
  args.reserve(2 + offers.size() * 4);
  for (const Offer& offer : offers) {
    args.push_back(offer.fingerprint);
    args.push_back(offer.host);
    args.push_back(offer.item);
    args.push_back(offer.front ? "1" : "0");
  }
  auto reply = Run(kOffer, std::move(args));
  if (!reply.ok()) return reply.status();
  if (reply->text.size() != offers.size()) return Unexpected("the offer");
  out.reserve(offers.size());
  for (char c : reply->text) out.push_back(c == '1');
  return out;
}

Result<SharedFrontier::TransferResult> SharedFrontier::Transfer(const std::string& site, int64_t run,
                                                                const std::string& from_host, const std::string& field,
                                                                const Offer& offer) {
  auto reply = Run(kTransfer, {site, std::to_string(run), from_host, field, offer.fingerprint, offer.host, offer.item});
  if (!reply.ok()) return reply.status();
  switch (AsInteger(*reply)) {
    case 0: return TransferResult::kMoved;
    case 1: return TransferResult::kDuplicate;
    default: return TransferResult::kLost;
  }
}

Result<std::vector<SharedFrontier::Claimed>> SharedFrontier::Claim(size_t held_hosts) {
  auto reply = Run(kClaim, {std::to_string(options_.lease_ttl.count()), std::to_string(options_.claim_hosts),
                            std::to_string(options_.claim_per_host), std::to_string(held_hosts)});
  if (!reply.ok()) return reply.status();
  std::vector<Claimed> out;
  const auto& e = reply->elements;
  for (size_t i = 0; i + 2 < e.size();) {
    Claimed claimed;
    claimed.host = e[i].text;
    claimed.recovered = AsInteger(e[i + 1]);
    const auto count = static_cast<size_t>(AsInteger(e[i + 2]));
    i += 3;
    if (i + count > e.size()) return Unexpected("the claim");
    for (size_t j = 0; j < count; ++j) claimed.items.push_back(e[i + j].text);
    i += count;
    out.push_back(std::move(claimed));
  }
  return out;
}

Result<int64_t> SharedFrontier::Complete(const std::string& site, int64_t run,
                                         const std::vector<std::pair<std::string, std::string>>& done) {
  std::vector<std::string> args{site, std::to_string(run)};
  for (const auto& [host, field] : done) {
    args.push_back(host);
    args.push_back(field);
  }
  auto reply = Run(kComplete, std::move(args));
  if (!reply.ok()) return reply.status();
  return AsInteger(*reply);
}

Status SharedFrontier::Requeue(const std::string& host, const std::string& field, const std::string& item) {
  auto reply = Run(kRequeue, {host, field, item});
  return reply.ok() ? Status::Ok() : reply.status();
}

Status SharedFrontier::Release(const std::string& host, std::chrono::milliseconds wait) {
  auto reply = Run(kRelease, {host, std::to_string(std::max<int64_t>(0, wait.count())),
                              std::to_string(options_.handover_grace.count())});
  return reply.ok() ? Status::Ok() : reply.status();
}

Result<std::vector<std::string>> SharedFrontier::Renew(const std::vector<std::string>& hosts) {
  std::vector<std::string> args{std::to_string(options_.lease_ttl.count())};
  args.insert(args.end(), hosts.begin(), hosts.end());
  auto reply = Run(kRenew, std::move(args));
  if (!reply.ok()) return reply.status();
  std::vector<std::string> lost;
  for (const auto& element : reply->elements) lost.push_back(element.text);
  return lost;
}

Result<bool> SharedFrontier::ClaimArticle(const std::string& site, const std::string& key, const std::string& hash) {
  auto reply = Run(kClaimArticle, {site, key, hash});
  if (!reply.ok()) return reply.status();
  return AsInteger(*reply) == 1;
}

Status SharedFrontier::ConfirmArticles(const std::string& site,
                                       const std::vector<std::pair<std::string, std::string>>& key_hashes) {
  if (key_hashes.empty()) return Status::Ok();
  std::vector<std::string> args{site};
  for (const auto& [key, hash] : key_hashes) {
    args.push_back(key);
    args.push_back(hash);
  }
  auto reply = Run(kConfirm, std::move(args));
  return reply.ok() ? Status::Ok() : reply.status();
}

Result<std::optional<SharedFrontier::Robots>> SharedFrontier::GetRobots(const std::string& origin) {
  const std::string key = prefix_ + "robots:" + origin;
  auto value = redis_.Call({"GET", key});
  if (!value.ok()) return value.status();
  if (value->nil()) return std::optional<Robots>();
  auto ttl = redis_.Call({"PTTL", key});
  if (!ttl.ok()) return ttl.status();
  if (ttl->integer <= 0) return std::optional<Robots>();
  return std::optional<Robots>(Robots{std::move(value->text), std::chrono::milliseconds(ttl->integer)});
}

Status SharedFrontier::PutRobots(const std::string& origin, const std::string& value, std::chrono::milliseconds ttl) {
  if (ttl <= std::chrono::milliseconds(0)) return Status::Ok();
  auto reply = redis_.Call({"SET", prefix_ + "robots:" + origin, value, "PX", std::to_string(ttl.count())});
  return reply.ok() ? Status::Ok() : reply.status();
}

Status SharedFrontier::Leave() {
  auto reply = redis_.Call({"DEL", prefix_ + "worker:" + worker_, prefix_ + "reply:" + worker_});
  if (!reply.ok()) return reply.status();
  reply = redis_.Call({"ZREM", prefix_ + "workers", worker_});
  return reply.ok() ? Status::Ok() : reply.status();
}

}  // namespace newshound::distributed

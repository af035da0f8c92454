// A blocking Redis client over hiredis: one connection, commands as argv
// (binary-safe), replies as plain values, and reconnection with backoff.
//
// Why blocking: the engine talks to Redis from its strand a few times per
// page (an offer of the page's links, a completion, a claim now and then);
// on loopback or a LAN a round trip is tens of microseconds, and while
// Redis is down the worker has nothing useful to do but wait for it. The
// calls that are not idempotent are made safe to repeat after a lost reply
// by the scripts themselves (shared_frontier.h), so Call() may resend.
//
// Thread safety: none; one owner.
#ifndef NEWSHOUND_DISTRIBUTED_REDIS_CLIENT_H_
#define NEWSHOUND_DISTRIBUTED_REDIS_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "newshound/status.h"

struct redisContext;

namespace newshound::distributed {

// redis://[host][:port][/db]  (host defaults to 127.0.0.1, port to 6379, db to 0)
struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string ToString() const;
};
Result<RedisAddress> ParseRedisUrl(const std::string& url);

struct RedisValue {
  enum class Type { kNil, kInteger, kString, kArray, kStatus };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string text;  // kString, kStatus
  std::vector<RedisValue> elements;

  bool nil() const { return type == Type::kNil; }
};

struct RedisOptions {
  std::chrono::milliseconds connect_timeout{2'000};
  std::chrono::milliseconds command_timeout{10'000};
  // How long Call() keeps reconnecting (100 ms, doubling up to 2 s) before
  // it gives up and returns the error.
  std::chrono::milliseconds give_up_after{60'000};
};

class RedisClient {
 public:
  RedisClient(RedisAddress address, RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Connects (and selects the database) now; errors name the address.
  Status Connect();
  // Sends one command and returns its reply. A Redis error reply ("ERR
  // ...") is an error Status, not retried; a broken connection is retried
  // after reconnecting, until options.give_up_after.
  Result<RedisValue> Call(const std::vector<std::string>& args);
  // EVALSHA of `script` (loaded once, again after a restart of the server
  // that forgot it) with one key (the crawl's routing key) and `args`.
  Result<RedisValue> Eval(const std::string& script, const std::string& key, const std::vector<std::string>& args);

  const RedisAddress& address() const { return address_; }
  // Round trips sent so far (for the benchmark's per-page figure).
  uint64_t round_trips() const { return round_trips_; }
  uint64_t reconnects() const { return reconnects_; }

 private:
  // Connects again, backing off, until `give_up`.
  Status Reconnect(std::chrono::steady_clock::time_point give_up);
  Result<RedisValue> CallOnce(const std::vector<std::string>& args, bool& connection_lost);

  RedisAddress address_;
  RedisOptions options_;
  redisContext* context_ = nullptr;
  std::vector<std::pair<std::string, std::string>> script_shas_;  // script text -> sha1
  uint64_t round_trips_ = 0;
  uint64_t reconnects_ = 0;
};

}  // namespace newshound::distributed

#endif  // NEWSHOUND_DISTRIBUTED_REDIS_CLIENT_H_

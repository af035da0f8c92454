#include "distributed/redis_client.h"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <thread>

namespace newshound::distributed {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

RedisValue Convert(const redisReply* reply) {
  RedisValue value;
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      value.type = RedisValue::Type::kInteger;
      value.integer = reply->integer;
      break;
    case REDIS_REPLY_STRING:
      value.type = RedisValue::Type::kString;
      value.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      value.type = RedisValue::Type::kStatus;
      value.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ARRAY:
      value.type = RedisValue::Type::kArray;
      value.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i) value.elements.push_back(Convert(reply->element[i]));
      break;
    default:
      break;
  }
  return value;
}

std::string Sha1Hex(const std::string& text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 15]);
  }
  return out;
}

}  // namespace

std::string RedisAddress::ToString() const {
  return "redis://" + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Result<RedisAddress> ParseRedisUrl(const std::string& url) {
  const std::string scheme = "redis://";
  auto bad = [&](const std::string& why) {
    return Status(ErrorCode::kInvalidArgument, "'" + url + "': " + why + " (expected redis://host:port/db)");
  };
  if (url.compare(0, scheme.size(), scheme) != 0) return bad("not a redis:// URL");
  std::string rest = url.substr(scheme.size());
  if (rest.find('@') != std::string::npos) return bad("credentials in the URL are not supported");
  RedisAddress address;
  std::string authority = rest;
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    authority = rest.substr(0, slash);
    const std::string db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), address.db);
      if (ec != std::errc() || end != db.data() + db.size() || address.db < 0 || address.db > 15)
        return bad("database must be a number from 0 to 15");
    }
  }
  std::string host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return bad("unclosed '['");
    host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad("junk after the address");
    if (!after.empty()) port = after.substr(1);
  } else if (const size_t colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), address.port);
    if (ec != std::errc() || end != port.data() + port.size() || address.port < 1 || address.port > 65535)
      return bad("port must be from 1 to 65535");
  }
  if (!host.empty()) address.host = host;
  return address;
}

RedisClient::RedisClient(RedisAddress address, RedisOptions options)
    : address_(std::move(address)), options_(options) {}

RedisClient::~RedisClient() {
  if (context_) redisFree(context_);
}

Status RedisClient::Connect() {
  if (context_) {
    redisFree(context_);
    context_ = nullptr;
  }
  redisContext* context = redisConnectWithTimeout(address_.host.c_str(), address_.port, ToTimeval(options_.connect_timeout));
  if (context == nullptr) return Status(ErrorCode::kNetwork, address_.ToString() + ": cannot allocate a connection");
  if (context->err) {
    Status error(ErrorCode::kNetwork, address_.ToString() + ": " + context->errstr);
    redisFree(context);
    return error;
  }
  redisSetTimeout(context, ToTimeval(options_.command_timeout));
  context_ = context;
  if (address_.db != 0) {
    bool lost = false;
    auto selected = CallOnce({"SELECT", std::to_string(address_.db)}, lost);
    if (!selected.ok()) return selected.status();
  }
  return Status::Ok();
}

Status RedisClient::Reconnect(std::chrono::steady_clock::time_point give_up) {
  std::chrono::milliseconds backoff{100};
  for (;;) {
    Status status = Connect();
    if (status.ok()) {
      ++reconnects_;
      spdlog::info("{}: connected again", address_.ToString());
      return status;
    }
    if (std::chrono::steady_clock::now() + backoff > give_up)
      return status.WithContext("gave up after " + std::to_string(options_.give_up_after.count() / 1000) + " s");
    spdlog::warn("{}; trying again in {} ms", status.message(), backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2'000));
  }
}

Result<RedisValue> RedisClient::CallOnce(const std::vector<std::string>& args, bool& connection_lost) {
  connection_lost = false;
  if (context_ == nullptr) {
    connection_lost = true;
    return Status(ErrorCode::kNetwork, address_.ToString() + ": not connected");
  }
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  ++round_trips_;
  auto* reply = static_cast<redisReply*>(redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    connection_lost = true;
    Status error(ErrorCode::kNetwork, address_.ToString() + ": " + (context_->err ? context_->errstr : "no reply"));
    redisFree(context_);
    context_ = nullptr;
    return error;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    // A server loading its data after a restart answers LOADING until it
    // is done: as good as down, for the caller.
    connection_lost = std::string_view(reply->str, reply->len).substr(0, 7) == "LOADING";
    Status error(ErrorCode::kNetwork, address_.ToString() + ": " + std::string(reply->str, reply->len));
    freeReplyObject(reply);
    return error;
  }
  RedisValue value = Convert(reply);
  freeReplyObject(reply);
  return value;
}

Result<RedisValue> RedisClient::Call(const std::vector<std::string>& args) {
  const auto give_up = std::chrono::steady_clock::now() + options_.give_up_after;
  for (;;) {
    bool lost = false;
    auto reply = CallOnce(args, lost);
    if (reply.ok() || !lost) return reply;
    if (std::chrono::steady_clock::now() > give_up)
      return reply.status().WithContext("gave up after " + std::to_string(options_.give_up_after.count() / 1000) + " s");
    // A closed socket, a refused connection, a server still loading its
    // data: wait for it, then send the command again.
    spdlog::warn("{}; trying again", reply.status().message());
    if (context_ != nullptr) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } else if (Status status = Reconnect(give_up); !status.ok()) {
      return status;
    }
  }
}

Result<RedisValue> RedisClient::Eval(const std::string& script, const std::string& key, const std::vector<std::string>& args) {
  std::string sha;
  for (const auto& [text, known] : script_shas_)
    if (&text == &script || text == script) sha = known;
  if (sha.empty()) {
    sha = Sha1Hex(script);
    script_shas_.emplace_back(script, sha);
  }
  std::vector<std::string> command{"EVALSHA", sha, "1", key};
  command.insert(command.end(), args.begin(), args.end());
  for (int attempt = 0;; ++attempt) {
    auto reply = Call(command);
    if (reply.ok() || attempt > 0 || reply.status().message().find("NOSCRIPT") == std::string::npos) return reply;
    // A new or restarted server does not know the script yet.
    auto loaded = Call({"SCRIPT", "LOAD", script});
    if (!loaded.ok()) return loaded.status();
  }
}

}  // namespace newshound::distributed

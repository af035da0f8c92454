#include "newshound/config.h"

#include <arpa/inet.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "newshound/redact.h"
#include "newshound/url.h"
#include "distributed/redis_client.h"
#include "policy/schedule.h"

namespace newshound {
namespace {

// Thrown inside this file only; LoadConfig turns it into a Status.
struct ConfigError {
  std::string message;
};

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  std::string Where(const YAML::Mark& mark) const {
    if (mark.is_null()) return file_;
    return file_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }

  [[noreturn]] void Fail(const YAML::Mark& mark, const std::string& what) const {
    throw ConfigError{Where(mark) + ": " + what};
  }

  // Walks one mapping: `fields` maps each known key to its reader; any other
  // key is an error, and so is a missing key listed in `required`.
  void ReadMap(const YAML::Node& node, const std::string& path,
               const std::vector<std::pair<std::string, std::function<void(const YAML::Node&, const std::string&)>>>& fields,
               const std::vector<std::string>& required = {}) const {
    if (!node.IsMap()) Fail(node.Mark(), "'" + path + "' must be a mapping");
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      const std::string key_path = path.empty() ? key : path + "." + key;
      auto field = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == key; });
      if (field == fields.end()) {
        std::string known;
        for (const auto& f : fields) known += (known.empty() ? "" : ", ") + f.first;
        Fail(it->first.Mark(), "unknown key '" + key_path + "' (known keys here: " + known + ")");
      }
      if (!seen.insert(key).second) Fail(it->first.Mark(), "duplicate key '" + key_path + "'");
      field->second(it->second, key_path);
    }
    for (const auto& key : required) {
      if (!seen.count(key)) {
        Fail(node.Mark(), "missing required key '" + (path.empty() ? key : path + "." + key) + "'");
      }
    }
  }

  // Scalar text with ${VAR} and ${VAR:-default} expanded.
  std::string Scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) Fail(node.Mark(), "'" + key + "' must be a scalar, not a " + KindName(node));
    const std::string& raw = node.Scalar();
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '$' && i + 1 < raw.size() && raw[i + 1] == '{') {
        const size_t close = raw.find('}', i + 2);
        // The value is not echoed: it may be a secret (a proxy password).
        if (close == std::string::npos) Fail(node.Mark(), "'" + key + "': unterminated ${ (no closing })");
        std::string expr = raw.substr(i + 2, close - i - 2);
        std::optional<std::string> fallback;
        if (auto sep = expr.find(":-"); sep != std::string::npos) {
          fallback = expr.substr(sep + 2);
          expr.resize(sep);
        }
        const char* value = std::getenv(expr.c_str());
        if (value != nullptr && *value != '\0') {
          out += value;
        } else if (fallback) {
          out += *fallback;
        } else {
          Fail(node.Mark(), "'" + key + "': environment variable " + expr + " is not set (write ${" + expr +
                                ":-default} to give a default)");
        }
        i = close;
      } else {
        out += raw[i];
      }
    }
    return out;
  }

  // Whether the scalar as written takes (part of) its value from the
  // environment.
  static bool FromEnvironment(const YAML::Node& node) {
    return node.IsScalar() && node.Scalar().find("${") != std::string::npos;
  }

  // How an error quotes a scalar's value: as read, unless it came from the
  // environment; then as written ('${VAR}'): a variable may hold a secret
  // that was given to the wrong key, and errors reach logs.
  static std::string Echo(const YAML::Node& node, const std::string& value) {
    if (FromEnvironment(node)) return "'" + node.Scalar() + "' (its value from the environment is not shown)";
    return "'" + value + "'";
  }

  // The same for a URL, with any user name and password masked too.
  static std::string EchoUrl(const YAML::Node& node, const std::string& value) {
    if (FromEnvironment(node))
      return "'" + RedactUrl(node.Scalar()) + "' (its value from the environment is not shown)";
    return "'" + RedactUrl(value) + "'";
  }

  // A message of another parser that may quote `value` (a URL parser, the
  // cron parser): for a value from the environment, every quote of it (as
  // is, or with its userinfo masked) is replaced by the scalar as written.
  static std::string Scrub(const YAML::Node& node, const std::string& value, std::string message) {
    if (!FromEnvironment(node) || value.empty()) return message;
    const std::string shown = RedactUrl(node.Scalar());
    std::string out;
    // One pass, so a replacement is never searched again.
    const std::string masked = RedactUrl(value);
    for (size_t at = 0; at < message.size();) {
      if (message.compare(at, value.size(), value) == 0) {
        out += shown;
        at += value.size();
      } else if (masked != value && message.compare(at, masked.size(), masked) == 0) {
        out += shown;
        at += masked.size();
      } else {
        out += message[at++];
      }
    }
    return out;
  }

  // An absolute http(s) URL the config gives (start_urls,
  // discovery.sitemaps, discovery.feeds). One with a user name or password
  // is refused: a request never sends them, so they would only be logged
  // and recorded with every URL of the crawl.
  void CheckUrl(const YAML::Node& node, const std::string& key, const std::string& url) const {
    auto parsed = ParseHttpUrl(url);
    if (!parsed.ok()) Fail(node.Mark(), "'" + key + "': " + Scrub(node, url, parsed.status().message()));
    if (parsed->has_userinfo)
      Fail(node.Mark(), "'" + key + "': " + EchoUrl(node, url) +
                            " has a user name or password, which newshound never sends; give credentials as a "
                            "header of the site instead (headers: {Authorization: \"Basic ...\"})");
  }

  std::string String(const YAML::Node& node, const std::string& key) const {
    std::string value = Scalar(node, key);
    if (value.empty()) Fail(node.Mark(), "'" + key + "' must not be empty");
    return value;
  }

  int64_t Integer(const YAML::Node& node, const std::string& key, int64_t min, int64_t max) const {
    const std::string text = Scalar(node, key);
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
      Fail(node.Mark(), "'" + key + "' must be an integer, got " + Echo(node, text));
    if (value < min || value > max)
      Fail(node.Mark(), "'" + key + "' must be between " + std::to_string(min) + " and " + std::to_string(max) +
                            ", got " + Echo(node, text));
    return value;
  }

  bool Bool(const YAML::Node& node, const std::string& key) const {
    const std::string text = Scalar(node, key);
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
    Fail(node.Mark(), "'" + key + "' must be true or false, got " + Echo(node, text));
  }

  Millis Duration(const YAML::Node& node, const std::string& key) const {
    const std::string text = Scalar(node, key);
    auto value = ParseDuration(text);
    if (!value)
      Fail(node.Mark(), "'" + key + "' must be a duration such as 250ms, 1.5s, 2m or 1h, got " + Echo(node, text));
    return *value;
  }

  uint64_t Bytes(const YAML::Node& node, const std::string& key) const {
    const std::string text = Scalar(node, key);
    auto value = ParseByteSize(text);
    if (!value) Fail(node.Mark(), "'" + key + "' must be a size such as 512KiB or 10MiB, got " + Echo(node, text));
    return *value;
  }

  std::vector<std::string> StringList(const YAML::Node& node, const std::string& key) const {
    if (node.IsScalar()) return {String(node, key)};
    if (!node.IsSequence()) Fail(node.Mark(), "'" + key + "' must be a list of strings, not a " + KindName(node));
    std::vector<std::string> out;
    for (size_t i = 0; i < node.size(); ++i) out.push_back(String(node[i], key + "[" + std::to_string(i) + "]"));
    return out;
  }

  // A list of RE2 patterns, each compiled here so a bad one is reported
  // with its position rather than at crawl time.
  std::vector<std::string> Patterns(const YAML::Node& node, const std::string& key) const {
    std::vector<std::string> patterns = StringList(node, key);
    for (size_t i = 0; i < patterns.size(); ++i) {
      RE2 re(patterns[i], RE2::Quiet);
      const YAML::Node item = node.IsSequence() ? node[i] : node;
      // RE2's error quotes part of the pattern: not shown for one from the
      // environment.
      if (!re.ok())
        Fail(item.Mark(), "'" + key + "': " + Echo(item, patterns[i]) + " is not a valid RE2 pattern" +
                              (FromEnvironment(item) ? "" : ": " + re.error()));
    }
    return patterns;
  }

  // Any YAML value as JSON, for plugin settings (scalars stay strings unless
  // they read as a number or boolean).
  boost::json::value ToJson(const YAML::Node& node, const std::string& key) const {
    switch (node.Type()) {
      case YAML::NodeType::Map: {
        boost::json::object object;
        for (auto it = node.begin(); it != node.end(); ++it)
          object[it->first.Scalar()] = ToJson(it->second, key + "." + it->first.Scalar());
        return object;
      }
      case YAML::NodeType::Sequence: {
        boost::json::array array;
        for (size_t i = 0; i < node.size(); ++i) array.push_back(ToJson(node[i], key + "[" + std::to_string(i) + "]"));
        return array;
      }
      case YAML::NodeType::Scalar: {
        const std::string text = Scalar(node, key);
        if (node.Tag() != "!") {  // unquoted: may be a number or a boolean
          if (text == "true") return true;
          if (text == "false") return false;
          int64_t i = 0;
          auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
          if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return i;
        }
        return boost::json::string(text);
      }
      default:
        return nullptr;
    }
  }

  static std::string KindName(const YAML::Node& node) {
    switch (node.Type()) {
      case YAML::NodeType::Map: return "mapping";
      case YAML::NodeType::Sequence: return "list";
      case YAML::NodeType::Scalar: return "scalar";
      case YAML::NodeType::Null: return "null";
      default: return "missing value";
    }
  }

  // `proxy:`: an http:// proxy URL; `none`, an empty value or null: no
  // proxy (so a site can turn a crawler-wide one off, and
  // ${VAR:-none} can leave it unset). Errors carry the URL masked.
  ProxyOptions Proxy(const YAML::Node& node, const std::string& key) const {
    if (node.IsNull()) return {};
    const std::string text = Scalar(node, key);
    if (text.empty() || text == "none") return {};
    auto proxy = ParseProxyUrl(text);
    if (!proxy.ok()) Fail(node.Mark(), "'" + key + "' " + proxy.status().message());
    return *proxy;
  }

  // One of network.dns_servers: an IP address, with an optional port
  // ("1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353"). A name is refused:
  // it would need a DNS server to be found.
  std::string DnsServer(const YAML::Node& node, const std::string& key) const {
    const std::string text = String(node, key);
    std::string address = text;
    std::string port;
    if (text.front() == '[') {
      const size_t close = text.find(']');
      if (close != std::string::npos) {
        address = text.substr(1, close - 1);
        if (close + 1 < text.size()) port = text[close + 1] == ':' ? text.substr(close + 2) : "x";
      }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
      address = text.substr(0, text.find(':'));
      port = text.substr(text.find(':') + 1);
    }
    unsigned char buffer[16];
    const bool is_ip = inet_pton(AF_INET, address.c_str(), buffer) == 1 || inet_pton(AF_INET6, address.c_str(), buffer) == 1;
    bool port_ok = port.empty();
    if (!port.empty()) {
      int number = 0;
      auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
      port_ok = ec == std::errc() && end == port.data() + port.size() && number >= 1 && number <= 65535;
    }
    if (!is_ip || !port_ok)
      Fail(node.Mark(), "'" + key + "' must be an IP address with an optional port (1.2.3.4, 1.2.3.4:53 or [::1]:53), got " +
                            Echo(node, text));
    return text;
  }

  // A cache lifetime: 0 is allowed and means "do not cache".
  Millis CacheTtl(const YAML::Node& node, const std::string& key) const {
    const Millis value = Duration(node, key);
    if (value < Millis(0)) Fail(node.Mark(), "'" + key + "' must not be negative");
    return value;
  }

  void ReadTls(const YAML::Node& node, const std::string& path, TlsOptions& tls, bool allow_insecure) const {
    ReadMap(node, path,
            {{"ca_file", [&](const YAML::Node& n, const std::string& k) { tls.ca_file = String(n, k); }},
             {"insecure", [&](const YAML::Node& n, const std::string& k) {
                if (!allow_insecure)
                  Fail(n.Mark(), "'" + k + "' is only allowed in a site's tls settings, never crawler-wide");
                tls.insecure = Bool(n, k);
              }}});
  }

  // `headers:`: a mapping of header name to value, merged into `out` (an
  // entry replaces one of the same name, case-insensitively).
  void ReadHeaders(const YAML::Node& node, const std::string& path,
                   std::vector<std::pair<std::string, std::string>>& out) const {
    if (!node.IsMap()) Fail(node.Mark(), "'" + path + "' must be a mapping of header name to value");
    static const std::set<std::string> kRefused = {"host", "content-length", "connection", "transfer-encoding"};
    auto lower = [](std::string text) {
      for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return text;
    };
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string name = it->first.Scalar();
      const std::string key = path + "." + name;
      // RFC 9110 5.6.2 token.
      const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
      });
      if (!token) Fail(it->first.Mark(), "'" + path + "': '" + name + "' is not a valid HTTP header name");
      if (kRefused.count(lower(name)))
        Fail(it->first.Mark(), "'" + key + "': the " + name + " header is set by the fetcher and cannot be configured");
      const std::string value = Scalar(it->second, key);
      if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos)
        Fail(it->second.Mark(), "'" + key + "' must not contain CR, LF or NUL");
      auto same = std::find_if(out.begin(), out.end(), [&](const auto& h) { return lower(h.first) == lower(name); });
      if (same != out.end()) same->second = value;
      else out.emplace_back(name, value);
    }
  }

  void ReadPoliteness(const YAML::Node& node, const std::string& path, PolitenessOptions& p) const {
    ReadMap(node, path,
            {{"delay", [&](const YAML::Node& n, const std::string& k) { p.delay = Duration(n, k); }},
             {"max_connections_per_host", [&](const YAML::Node& n, const std::string& k) {
                p.max_connections_per_host = static_cast<int>(Integer(n, k, 1, 256));
              }},
             {"key", [&](const YAML::Node& n, const std::string& k) {
                const std::string key = Scalar(n, k);
                if (key == "host") p.key = PolitenessKey::kHost;
                else if (key == "domain") p.key = PolitenessKey::kDomain;
                else if (key == "ip") p.key = PolitenessKey::kIp;
                else Fail(n.Mark(), "'" + k + "' must be host, domain or ip; got " + Echo(n, key));
              }},
             {"max_crawl_delay", [&](const YAML::Node& n, const std::string& k) { p.max_crawl_delay = Duration(n, k); }},
             {"adaptive", [&](const YAML::Node& n, const std::string& k) {
                AdaptiveThrottleOptions& a = p.adaptive;
                ReadMap(n, k,
                        {{"enabled", [&](const YAML::Node& m, const std::string& mk) { a.enabled = Bool(m, mk); }},
                         {"floor", [&](const YAML::Node& m, const std::string& mk) { a.floor = Duration(m, mk); }},
                         {"ceiling", [&](const YAML::Node& m, const std::string& mk) { a.ceiling = Duration(m, mk); }},
                         {"target_concurrency", [&](const YAML::Node& m, const std::string& mk) {
                            const std::string text = Scalar(m, mk);
                            char* end = nullptr;
                            const double value = std::strtod(text.c_str(), &end);
                            if (end == text.c_str() || *end != '\0' || !(value >= 0.1 && value <= 100))
                              Fail(m.Mark(), "'" + mk + "' must be a number from 0.1 to 100, got " + Echo(m, text));
                            a.target_concurrency = value;
                          }}});
                if (a.ceiling < a.floor) Fail(n.Mark(), "'" + k + ".ceiling' must not be below its floor");
              }}});
  }

  // `discovery:`: sitemaps and feeds the core reads itself.
  void ReadDiscovery(const YAML::Node& node, const std::string& path, DiscoverySettings& d) const {
    auto urls = [this](const YAML::Node& n, const std::string& k) {
      std::vector<std::string> list = StringList(n, k);
      for (size_t i = 0; i < list.size(); ++i) CheckUrl(n.IsSequence() ? n[i] : n, k, list[i]);
      return list;
    };
    ReadMap(node, path,
            {{"robots_sitemaps", [&](const YAML::Node& n, const std::string& k) { d.robots_sitemaps = Bool(n, k); }},
             {"sitemaps", [&](const YAML::Node& n, const std::string& k) { d.sitemaps = urls(n, k); }},
             {"feeds", [&](const YAML::Node& n, const std::string& k) { d.feeds = urls(n, k); }},
             {"since", [&](const YAML::Node& n, const std::string& k) { d.since = Duration(n, k); }}});
  }

  // `priorities:`: link kind -> "high" or "low".
  void ReadPriorities(const YAML::Node& node, const std::string& path, PriorityOptions& p) const {
    auto level = [this](bool& out) {
      return [this, &out](const YAML::Node& n, const std::string& k) {
        const std::string text = Scalar(n, k);
        if (text != "high" && text != "low") Fail(n.Mark(), "'" + k + "' must be high or low, got " + Echo(n, text));
        out = text == "high";
      };
    };
    ReadMap(node, path,
            {{"listing", level(p.listing)}, {"next", level(p.next)}, {"feed", level(p.feed)},
             {"sitemap", level(p.sitemap)}, {"article", level(p.article)}, {"other", level(p.other)}});
  }

  // `schedule:`: a cron expression, or `{every: DURATION}` (or `{cron: EXPR}`).
  void ReadSchedule(const YAML::Node& node, const std::string& path, ScheduleOptions& schedule) const {
    if (node.IsScalar()) {
      const std::string expr = String(node, path);
      auto parsed = policy::ParseCron(expr);
      if (!parsed.ok()) Fail(node.Mark(), "'" + path + "': " + Scrub(node, expr, parsed.status().message()));
      schedule.cron = expr;
      return;
    }
    if (!node.IsMap()) Fail(node.Mark(), "'" + path + "' must be a cron expression or a mapping with 'every'");
    ReadMap(node, path,
            {{"every", [&](const YAML::Node& n, const std::string& k) {
                const Millis every = Duration(n, k);
                if (every <= Millis(0)) Fail(n.Mark(), "'" + k + "' must be more than 0");
                schedule.every = every;
              }},
             {"cron", [&](const YAML::Node& n, const std::string& k) {
                const std::string expr = String(n, k);
                auto parsed = policy::ParseCron(expr);
                if (!parsed.ok()) Fail(n.Mark(), "'" + k + "': " + Scrub(n, expr, parsed.status().message()));
                schedule.cron = expr;
              }}});
    if (schedule.set() == false || (!schedule.cron.empty() && schedule.every > Millis(0)))
      Fail(node.Mark(), "'" + path + "' needs exactly one of 'every' and 'cron'");
  }

  void ReadRetries(const YAML::Node& node, const std::string& path, RetryOptions& r) const {
    ReadMap(node, path,
            {{"max", [&](const YAML::Node& n, const std::string& k) { r.max = static_cast<int>(Integer(n, k, 0, 100)); }},
             {"base", [&](const YAML::Node& n, const std::string& k) { r.base = Duration(n, k); }},
             {"cap", [&](const YAML::Node& n, const std::string& k) { r.cap = Duration(n, k); }}});
  }

  void ReadRobots(const YAML::Node& node, const std::string& path, RobotsOptions& r) const {
    ReadMap(node, path,
            {{"obey", [&](const YAML::Node& n, const std::string& k) { r.obey = Bool(n, k); }},
             {"cache_ttl", [&](const YAML::Node& n, const std::string& k) { r.cache_ttl = Duration(n, k); }},
             {"agent", [&](const YAML::Node& n, const std::string& k) { r.agent = String(n, k); }}});
  }

  // `url_normalization:`. A list given replaces the inherited one, so a
  // site can also keep a parameter the defaults drop.
  void ReadUrlNormalization(const YAML::Node& node, const std::string& path, NormalizeOptions& o) const {
    ReadMap(node, path,
            {{"drop_query_params", [&](const YAML::Node& n, const std::string& k) {
                // Always a list, even of one name: it replaces the inherited
                // list, which `[sid]` says plainly and a bare `sid` (read as
                // "also drop sid") would not.
                if (!n.IsSequence())
                  Fail(n.Mark(), "'" + k + "' must be a list of parameter names or globs (e.g. [utm_*, fbclid]), " +
                                     "not a " + KindName(n));
                o.drop_query_params.clear();
                for (size_t i = 0; i < n.size(); ++i) {
                  const std::string item = k + "[" + std::to_string(i) + "]";
                  std::string pattern = String(n[i], item);
                  if (pattern.find_first_of("&=#; \t") != std::string::npos)
                    Fail(n[i].Mark(), "'" + item + "' must be a parameter name or glob, without '&', '=', '#', ';' " +
                                          "or spaces; got " + Echo(n[i], pattern));
                  o.drop_query_params.push_back(std::move(pattern));
                }
              }},
             {"sort_query", [&](const YAML::Node& n, const std::string& k) { o.sort_query = Bool(n, k); }}});
  }

  using FieldList = std::vector<std::pair<std::string, std::function<void(const YAML::Node&, const std::string&)>>>;

  // `output:` the sinks (the `jsonl` shorthand and the `sinks` list) and the
  // flush interval. Sink names and paths are unique: two sinks appending to
  // one file would interleave their records.
  void ReadOutput(const YAML::Node& node, const std::string& path, CrawlerConfig& crawler) const {
    auto add = [&](SinkConfig sink, const YAML::Node& at) {
      for (const auto& other : crawler.sinks) {
        if (other.name == sink.name)
          Fail(at.Mark(), "'" + path + "': two sinks are named '" + sink.name + "' (the other at " + other.location +
                              "); give one a `name`");
        if (other.path == sink.path)
          Fail(at.Mark(), "'" + path + "': sinks '" + other.name + "' and '" + sink.name + "' both write " + sink.path);
      }
      crawler.sinks.push_back(std::move(sink));
    };
    ReadMap(node, path,
            {{"jsonl", [&](const YAML::Node& n, const std::string& k) {
                SinkConfig sink;
                sink.name = "jsonl";
                sink.path = String(n, k);
                if (sink.path.empty()) Fail(n.Mark(), "'" + k + "' must not be empty");
                sink.location = Where(n.Mark());
                add(std::move(sink), n);
              }},
             {"flush_interval", [&](const YAML::Node& n, const std::string& k) {
                crawler.flush_interval = Duration(n, k);
                if (crawler.flush_interval > Millis(60'000)) Fail(n.Mark(), "'" + k + "' must be at most 60s");
              }},
             {"sinks", [&](const YAML::Node& n, const std::string& k) {
                if (!n.IsSequence()) Fail(n.Mark(), "'" + k + "' must be a list of sinks ({type: jsonl, path: ...})");
                for (size_t i = 0; i < n.size(); ++i) add(ReadSink(n[i], k + "[" + std::to_string(i) + "]"), n[i]);
              }}});
  }

  SinkConfig ReadSink(const YAML::Node& node, const std::string& path) const {
    SinkConfig sink;
    sink.location = Where(node.Mark());
    std::optional<std::string> type;
    std::optional<bool> gzip;
    std::vector<std::pair<std::string, YAML::Mark>> jsonl_only;
    ReadMap(node, path,
            {{"name", [&](const YAML::Node& n, const std::string& k) {
                sink.name = String(n, k);
                if (sink.name.empty() || sink.name.find_first_of(" \t,:/") != std::string::npos)
                  Fail(n.Mark(), "'" + k + "' must be a word (no spaces, commas, colons or slashes)");
              }},
             {"type", [&](const YAML::Node& n, const std::string& k) {
                type = String(n, k);
                if (*type == "jsonl") sink.kind = SinkKind::kJsonl;
                else if (*type == "warc") sink.kind = SinkKind::kWarc;
                else if (*type == "sqlite") sink.kind = SinkKind::kSqlite;
                else Fail(n.Mark(), "'" + k + "' must be jsonl, warc or sqlite; got " + Echo(n, *type));
              }},
             {"path", [&](const YAML::Node& n, const std::string& k) {
                sink.path = String(n, k);
                if (sink.path.empty()) Fail(n.Mark(), "'" + k + "' must not be empty");
              }},
             {"rotate_size", [&](const YAML::Node& n, const std::string& k) {
                sink.rotate_size = Bytes(n, k);
                if (sink.rotate_size > 0 && sink.rotate_size < 4096) Fail(n.Mark(), "'" + k + "' must be at least 4KiB (or 0: none)");
              }},
             {"rotate_every", [&](const YAML::Node& n, const std::string& k) {
                sink.rotate_every = Duration(n, k);
                if (sink.rotate_every > Millis(0) && sink.rotate_every < Millis(1000)) Fail(n.Mark(), "'" + k + "' must be at least 1s (or 0: none)");
                jsonl_only.emplace_back(k, n.Mark());
              }},
             {"gzip", [&](const YAML::Node& n, const std::string& k) { gzip = Bool(n, k); }}},
            {"type", "path"});
    if (sink.name.empty()) sink.name = *type;
    if (sink.kind == SinkKind::kSqlite && (gzip || sink.rotate_size > 0))
      Fail(node.Mark(), "'" + path + "': a sqlite sink has no gzip or rotate_size");
    if (sink.kind != SinkKind::kJsonl)
      for (const auto& [key, mark] : jsonl_only) Fail(mark, "'" + key + "' is for jsonl sinks only");
    if (sink.kind == SinkKind::kWarc) {
      sink.gzip = gzip.value_or(true);
      if (sink.rotate_size == 0) sink.rotate_size = uint64_t{1} << 30;
    } else {
      sink.gzip = gzip.value_or(false);
    }
    return sink;
  }

  // Empty when `listen` is "host:port" on a loopback address (the endpoint
  // tells anyone who can reach it what the crawl does; it is not for the
  // network), else why not.
  static std::string LoopbackListenProblem(const std::string& listen) {
    const size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return "must be host:port (e.g. 127.0.0.1:9464)";
    std::string host = listen.substr(0, colon);
    const std::string port = listen.substr(colon + 1);
    int value = -1;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 0 || value > 65535)
      return "the port must be a number from 0 to 65535";
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost" || host == "::1") return "";
    in_addr v4{};
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127) return "";
    return "the metrics endpoint listens on loopback only (127.0.0.1, ::1 or localhost)";
  }

  void AddLimitFields(FieldList& fields, FetchLimits& limits) const {
    // A zero timeout would fail every request at once, so it is refused
    // rather than read as "no limit".
    const std::pair<const char*, Millis FetchLimits::*> kTimeouts[] = {
        {"resolve_timeout", &FetchLimits::resolve_timeout},   {"connect_timeout", &FetchLimits::connect_timeout},
        {"tls_timeout", &FetchLimits::tls_timeout},           {"headers_timeout", &FetchLimits::headers_timeout},
        {"body_idle_timeout", &FetchLimits::body_idle_timeout}, {"request_timeout", &FetchLimits::request_timeout},
    };
    for (const auto& [name, member] : kTimeouts) {
      fields.push_back({name, [this, &limits, member = member](const YAML::Node& n, const std::string& k) {
                          const Millis value = Duration(n, k);
                          if (value <= Millis(0)) Fail(n.Mark(), "'" + k + "' must be more than 0");
                          limits.*member = value;
                        }});
    }
    fields.push_back({"max_body", [&](const YAML::Node& n, const std::string& k) { limits.max_body = Bytes(n, k); }});
    fields.push_back({"max_redirects", [&](const YAML::Node& n, const std::string& k) {
                        limits.max_redirects = static_cast<int>(Integer(n, k, 0, 50));
                      }});
  }

  Config Load(const YAML::Node& root) const {
    Config config;
    config.path = file_;
    if (!root.IsDefined() || root.IsNull()) Fail(YAML::Mark::null_mark(), "the file is empty");
    TlsOptions tls;
    PolitenessOptions politeness;
    RetryOptions retries;
    RobotsOptions robots;
    NormalizeOptions url_normalization;
    FetchLimits limits;

    FieldList crawler_fields = {
        {"threads", [&](const YAML::Node& n, const std::string& k) { config.crawler.threads = static_cast<int>(Integer(n, k, 0, 256)); }},
        {"parse_threads", [&](const YAML::Node& n, const std::string& k) { config.crawler.parse_threads = static_cast<int>(Integer(n, k, 0, 256)); }},
        {"max_in_flight", [&](const YAML::Node& n, const std::string& k) { config.crawler.max_in_flight = static_cast<int>(Integer(n, k, 1, 100000)); }},
        {"plugin_dir", [&](const YAML::Node& n, const std::string& k) { config.crawler.plugin_dir = String(n, k); }},
        {"state_dir", [&](const YAML::Node& n, const std::string& k) { config.crawler.state_dir = String(n, k); }},
        {"plugin_timeout", [&](const YAML::Node& n, const std::string& k) { config.crawler.plugin_timeout = Duration(n, k); }},
        {"shutdown_timeout", [&](const YAML::Node& n, const std::string& k) { config.crawler.shutdown_timeout = Duration(n, k); }},
        {"user_agent", [&](const YAML::Node& n, const std::string& k) { config.crawler.user_agent = String(n, k); }},
        {"headers", [&](const YAML::Node& n, const std::string& k) { ReadHeaders(n, k, config.crawler.headers); }},
        {"proxy", [&](const YAML::Node& n, const std::string& k) { config.crawler.proxy = Proxy(n, k); }},
        {"frontier_memory_items", [&](const YAML::Node& n, const std::string& k) {
           config.crawler.frontier_memory_items = Integer(n, k, 0, 1'000'000'000);
         }},
        {"progress_interval", [&](const YAML::Node& n, const std::string& k) {
           config.crawler.progress_interval = Duration(n, k);
         }},
        {"log_level", [&](const YAML::Node& n, const std::string& k) {
           const std::string level = String(n, k);
           static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
           if (!kLevels.count(level)) Fail(n.Mark(), "'" + k + "' must be one of trace, debug, info, warn, error, off; got " + Echo(n, level));
           config.crawler.log_level = level;
         }},
    };
    AddLimitFields(crawler_fields, limits);
    // The connection pool is shared by all sites, so its keys are not in
    // AddLimitFields (a per-site value would have nothing to apply to).
    crawler_fields.push_back({"max_connections_per_origin", [&](const YAML::Node& n, const std::string& k) {
                                limits.max_connections_per_origin = static_cast<int>(Integer(n, k, 1, 10000));
                              }});
    crawler_fields.push_back({"max_idle_connections", [&](const YAML::Node& n, const std::string& k) {
                                if (n.IsScalar() && n.Scalar() == "auto") {
                                  limits.max_idle_connections = kAutoIdleConnections;
                                  return;
                                }
                                const std::string text = Scalar(n, k);
                                int64_t value = 0;
                                auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
                                if (ec != std::errc() || end != text.data() + text.size() || value < 0 ||
                                    value > 1000000) {
                                  Fail(n.Mark(), "'" + k + "' must be auto or an integer between 0 and 1000000, got " +
                                                     Echo(n, text));
                                }
                                limits.max_idle_connections = static_cast<int>(value);
                              }});
    crawler_fields.push_back({"idle_timeout", [&](const YAML::Node& n, const std::string& k) {
                                const Millis value = Duration(n, k);
                                if (value <= Millis(0)) Fail(n.Mark(), "'" + k + "' must be more than 0");
                                limits.idle_timeout = value;
                              }});

    ReadMap(root, "",
            {{"crawler", [&](const YAML::Node& n, const std::string& k) { ReadMap(n, k, crawler_fields); }},
             {"network", [&](const YAML::Node& n, const std::string& k) {
                ReadMap(n, k, {{"resolve", [&](const YAML::Node& m, const std::string& mk) {
                                  if (!m.IsMap()) Fail(m.Mark(), "'" + mk + "' must be a mapping of host:port to address:port");
                                  for (auto it = m.begin(); it != m.end(); ++it) {
                                    const std::string from = it->first.Scalar();
                                    const std::string to = String(it->second, mk + "." + from);
                                    if (from.empty()) Fail(it->first.Mark(), "'" + mk + "': empty host");
                                    config.crawler.resolve[from] = to;
                                  }
                                }},
                               {"dns_servers", [&](const YAML::Node& m, const std::string& mk) {
                                  if (!m.IsSequence()) Fail(m.Mark(), "'" + mk + "' must be a list of address[:port]");
                                  config.crawler.dns.servers.clear();
                                  for (size_t i = 0; i < m.size(); ++i)
                                    config.crawler.dns.servers.push_back(DnsServer(m[i], mk + "[" + std::to_string(i) + "]"));
                                }},
                               {"allow", [&](const YAML::Node& m, const std::string& mk) {
                                  if (!m.IsSequence())
                                    Fail(m.Mark(), "'" + mk + "' must be a list of networks (CIDR, e.g. [127.0.0.1/32])");
                                  config.crawler.allow.clear();
                                  for (size_t i = 0; i < m.size(); ++i) {
                                    const std::string item_key = mk + "[" + std::to_string(i) + "]";
                                    const std::string text = String(m[i], item_key);
                                    std::string error;
                                    auto network = ParseIpNetwork(text, error);
                                    if (!network) Fail(m[i].Mark(), "'" + item_key + "' " + Echo(m[i], text) + ": " + error);
                                    config.crawler.allow.push_back(std::move(*network));
                                  }
                                }},
                               {"dns_max_ttl", [&](const YAML::Node& m, const std::string& mk) {
                                  config.crawler.dns.max_ttl = CacheTtl(m, mk);
                                }},
                               {"dns_negative_ttl", [&](const YAML::Node& m, const std::string& mk) {
                                  config.crawler.dns.negative_ttl = CacheTtl(m, mk);
                                }}});
              }},
             {"tls", [&](const YAML::Node& n, const std::string& k) { ReadTls(n, k, tls, false); }},
             {"politeness", [&](const YAML::Node& n, const std::string& k) { ReadPoliteness(n, k, politeness); }},
             {"retries", [&](const YAML::Node& n, const std::string& k) { ReadRetries(n, k, retries); }},
             {"robots", [&](const YAML::Node& n, const std::string& k) { ReadRobots(n, k, robots); }},
             {"url_normalization", [&](const YAML::Node& n, const std::string& k) {
                ReadUrlNormalization(n, k, url_normalization);
              }},
             {"output", [&](const YAML::Node& n, const std::string& k) { ReadOutput(n, k, config.crawler); }},
             {"metrics", [&](const YAML::Node& n, const std::string& k) {
                ReadMap(n, k, {{"listen", [&](const YAML::Node& m, const std::string& mk) {
                                  config.crawler.metrics_listen = String(m, mk);
                                  if (std::string why = LoopbackListenProblem(config.crawler.metrics_listen); !why.empty())
                                    Fail(m.Mark(), "'" + mk + "' " + Echo(m, config.crawler.metrics_listen) + ": " + why);
                                }},
                               {"in_run", [&](const YAML::Node& m, const std::string& mk) {
                                  config.crawler.metrics_in_run = Bool(m, mk);
                                }}});
              }},
             {"frontier", [&](const YAML::Node& n, const std::string& k) {
                ReadMap(n, k, {{"backend", [&](const YAML::Node& m, const std::string& mk) {
                                  const std::string backend = String(m, mk);
                                  if (backend == "embedded") config.crawler.frontier_backend = FrontierBackend::kEmbedded;
                                  else if (backend == "redis") config.crawler.frontier_backend = FrontierBackend::kRedis;
                                  else Fail(m.Mark(), "'" + mk + "' " + Echo(m, backend) + ": must be embedded or redis");
                                }},
                               {"redis", [&](const YAML::Node& m, const std::string& mk) {
                                  config.crawler.frontier_redis = String(m, mk);
                                  auto address = distributed::ParseRedisUrl(config.crawler.frontier_redis);
                                  if (!address.ok()) Fail(m.Mark(), "'" + mk + "' " + address.status().message());
                                }},
                               {"crawl", [&](const YAML::Node& m, const std::string& mk) {
                                  const std::string name = String(m, mk);
                                  const bool good = !name.empty() && name.size() <= 64 &&
                                                    std::all_of(name.begin(), name.end(), [](char c) {
                                                      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                                                             c == '_' || c == '.';
                                                    });
                                  if (!good)
                                    Fail(m.Mark(), "'" + mk + "' " + Echo(m, name) +
                                                       ": 1 to 64 letters, digits, '-', '_' or '.'");
                                  config.crawler.frontier_crawl = name;
                                }},
                               {"lease_ttl", [&](const YAML::Node& m, const std::string& mk) {
                                  config.crawler.frontier_lease_ttl = Duration(m, mk);
                                  if (config.crawler.frontier_lease_ttl < Millis(1'000))
                                    Fail(m.Mark(), "'" + mk + "' must be at least 1s");
                                }},
                               {"claim_batch", [&](const YAML::Node& m, const std::string& mk) {
                                  config.crawler.frontier_claim_batch = static_cast<int>(Integer(m, mk, 1, 10'000));
                                }}});
                if (config.crawler.frontier_backend == FrontierBackend::kRedis && config.crawler.frontier_redis.empty())
                  Fail(n.Mark(), "'" + k + ".backend' is redis: '" + k + ".redis' (redis://host:port/db) is needed");
              }},
             // Read below, once the crawler-wide defaults they inherit are known.
             {"sites", [](const YAML::Node&, const std::string&) {}}},
            {"sites"});

    if (config.crawler.sinks.empty()) {
      SinkConfig fallback;
      fallback.name = "jsonl";
      fallback.path = "out/articles.jsonl";
      fallback.location = file_;
      config.crawler.sinks.push_back(std::move(fallback));
    }
    const YAML::Node sites = root["sites"];
    if (!sites.IsSequence() || sites.size() == 0) Fail(sites.Mark(), "'sites' must be a non-empty list");
    std::set<std::string> names;
    for (size_t i = 0; i < sites.size(); ++i) {
      const YAML::Node site_node = sites[i];
      const std::string path = "sites[" + std::to_string(i) + "]";
      SiteConfig site;
      site.politeness = politeness;
      site.retries = retries;
      site.robots = robots;
      site.url_normalization = url_normalization;
      site.tls = tls;
      site.limits = limits;
      site.headers = config.crawler.headers;
      site.proxy = config.crawler.proxy;
      site.location = Where(site_node.Mark());
      FieldList fields = {
          {"name", [&](const YAML::Node& n, const std::string& k) { site.name = String(n, k); }},
          {"plugin", [&](const YAML::Node& n, const std::string& k) { site.plugin = String(n, k); }},
          {"start_urls", [&](const YAML::Node& n, const std::string& k) {
             site.start_urls = StringList(n, k);
             for (size_t u = 0; u < site.start_urls.size(); ++u)
               CheckUrl(n.IsSequence() ? n[u] : n, k, site.start_urls[u]);
           }},
          {"hosts", [&](const YAML::Node& n, const std::string& k) { site.hosts = StringList(n, k); }},
          {"include", [&](const YAML::Node& n, const std::string& k) { site.include = Patterns(n, k); }},
          {"exclude", [&](const YAML::Node& n, const std::string& k) { site.exclude = Patterns(n, k); }},
          {"max_pages", [&](const YAML::Node& n, const std::string& k) { site.max_pages = Integer(n, k, 0, 1'000'000'000'000); }},
          {"max_depth", [&](const YAML::Node& n, const std::string& k) { site.max_depth = static_cast<int>(Integer(n, k, 0, 10'000)); }},
          {"recrawl_after", [&](const YAML::Node& n, const std::string& k) { site.recrawl_after = Duration(n, k); }},
          {"schedule", [&](const YAML::Node& n, const std::string& k) { ReadSchedule(n, k, site.schedule); }},
          {"priorities", [&](const YAML::Node& n, const std::string& k) { ReadPriorities(n, k, site.priorities); }},
          {"discovery", [&](const YAML::Node& n, const std::string& k) { ReadDiscovery(n, k, site.discovery); }},
          {"user_agent", [&](const YAML::Node& n, const std::string& k) { site.user_agent = String(n, k); }},
          {"headers", [&](const YAML::Node& n, const std::string& k) { ReadHeaders(n, k, site.headers); }},
          {"proxy", [&](const YAML::Node& n, const std::string& k) { site.proxy = Proxy(n, k); }},
          {"cookies", [&](const YAML::Node& n, const std::string& k) { site.cookies = Bool(n, k); }},
          {"plugin_settings", [&](const YAML::Node& n, const std::string& k) {
             if (!n.IsMap()) Fail(n.Mark(), "'" + k + "' must be a mapping");
             site.plugin_settings_json = boost::json::serialize(ToJson(n, k));
           }},
          {"politeness", [&](const YAML::Node& n, const std::string& k) { ReadPoliteness(n, k, site.politeness); }},
          {"retries", [&](const YAML::Node& n, const std::string& k) { ReadRetries(n, k, site.retries); }},
          {"robots", [&](const YAML::Node& n, const std::string& k) { ReadRobots(n, k, site.robots); }},
          {"url_normalization", [&](const YAML::Node& n, const std::string& k) {
             ReadUrlNormalization(n, k, site.url_normalization);
           }},
          {"tls", [&](const YAML::Node& n, const std::string& k) { ReadTls(n, k, site.tls, true); }},
          {"sinks", [&](const YAML::Node& n, const std::string& k) {
             site.sinks = StringList(n, k);
             for (size_t s = 0; s < site.sinks.size(); ++s) {
               const auto& sinks = config.crawler.sinks;
               if (std::none_of(sinks.begin(), sinks.end(), [&](const SinkConfig& c) { return c.name == site.sinks[s]; })) {
                 std::string known;
                 for (const auto& c : sinks) known += (known.empty() ? "" : ", ") + c.name;
                 Fail((n.IsSequence() ? n[s] : n).Mark(),
                      "'" + k + "': no sink named '" + site.sinks[s] + "' (output.sinks has: " + known + ")");
               }
             }
           }},
      };
      AddLimitFields(fields, site.limits);
      ReadMap(site_node, path, fields, {"name", "plugin", "start_urls"});
      if (site.start_urls.empty()) Fail(site_node.Mark(), "'" + path + ".start_urls' must not be empty");
      if (!names.insert(site.name).second) Fail(site_node.Mark(), "duplicate site name '" + site.name + "'");
      if (site.user_agent.empty()) site.user_agent = config.crawler.user_agent;
      if (site.robots.agent.empty()) {
        // RFC 9309 2.2.1: the product token is the UA up to its first '/' or space.
        site.robots.agent = site.user_agent.substr(0, site.user_agent.find_first_of("/ "));
      }
      if (site.hosts.empty()) {
        for (const auto& url : site.start_urls) {
          auto parts = ParseHttpUrl(url);
          if (std::find(site.hosts.begin(), site.hosts.end(), parts->host) == site.hosts.end())
            site.hosts.push_back(parts->host);
        }
      }
      for (auto& host : site.hosts)
        for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (config.crawler.frontier_backend == FrontierBackend::kRedis && site.politeness.key == PolitenessKey::kIp)
        Fail(site_node.Mark(), "'" + path + ".politeness.key' is ip: not with frontier.backend redis (a URL is queued "
                               "under its politeness key before it is fetched, so the key must not need DNS; use host or domain)");
      config.sites.push_back(std::move(site));
    }
    return config;
  }

 private:
  std::string file_;
};

}  // namespace

std::string_view SinkKindName(SinkKind kind) {
  switch (kind) {
    case SinkKind::kJsonl: return "jsonl";
    case SinkKind::kWarc: return "warc";
    case SinkKind::kSqlite: return "sqlite";
  }
  return "?";
}

Result<Config> LoadConfigString(const std::string& text, const std::string& name) {
  Loader loader(name);
  try {
    YAML::Node root = YAML::Load(text);
    return loader.Load(root);
  } catch (const ConfigError& e) {
    return Status(ErrorCode::kConfig, e.message);
  } catch (const YAML::Exception& e) {
    return Status(ErrorCode::kConfig, loader.Where(e.mark) + ": " + e.msg);
  }
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kConfig, path + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return LoadConfigString(text.str(), path);
}

}  // namespace newshound

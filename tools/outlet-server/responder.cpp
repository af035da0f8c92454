#include "responder.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <fstream>
#include <iterator>
#include <utility>

#include "content_type.h"
#include "time_format.h"

namespace newshound::outlet {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string_view TargetQuery(std::string_view target) {
  std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = target.substr(question);
  return query.substr(0, query.find('#'));
}

bool HasDotDotSegment(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

// Reads a whole file; false on error, with errno-style `error`.
bool ReadWholeFile(const std::filesystem::path& path, std::string& out,
                   int& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = errno != 0 ? errno : EIO;
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in),
             std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = EIO;
    return false;
  }
  return true;
}

http::status StatusForErrno(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
    case ELOOP:
      return http::status::not_found;
    case EACCES:
    case EPERM:
      return http::status::forbidden;
    default:
      return http::status::internal_server_error;
  }
}

// A strong validator of the exact bytes served: FNV-1a 64 of the body with
// its length, so an edited file gets a new one even when its mtime does not
// move (an edit within the same second).
std::string EntityTag(std::string_view body) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : body) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "\"%zx-%016llx\"", body.size(), static_cast<unsigned long long>(hash));
  return buffer;
}

// If-None-Match (RFC 9110 13.1.2): "*" or a list of entity tags compared
// weakly (W/ ignored), as a GET does.
bool NoneMatchHits(std::string_view header, std::string_view etag) {
  auto trim = [](std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
  };
  header = trim(header);
  if (header == "*") return true;
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view tag = trim(header.substr(0, comma));
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::optional<std::string_view> TargetPath(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.starts_with(scheme)) {
      std::size_t slash = target.find_first_of("/?", scheme.size());
      if (slash == std::string_view::npos) return std::string_view("/");
      target.remove_prefix(slash);
      if (target.front() == '?') return std::string_view("/");
      break;
    }
  }
  if (target.empty() || target.front() != '/') return std::nullopt;
  return target.substr(0, target.find_first_of("?#"));
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = HexValue(text[i + 1]);
    int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

Reply HtmlStatusReply(http::status status, std::string_view detail) {
  std::string_view reason = http::obsolete_reason(status);
  const bool known = reason != "<unknown-status>";
  if (!known) reason = "Unknown";
  std::string title = std::to_string(static_cast<unsigned>(status)) + " " +
                      std::string(reason);
  Reply reply;
  reply.response.result(status);
  // Beast would write its placeholder "<unknown-status>" otherwise.
  if (!known) reply.response.reason(reason);
  reply.response.set(http::field::content_type, "text/html; charset=utf-8");
  std::string& body = reply.response.body();
  body = "<!DOCTYPE html>\n<html><head><title>" + title +
         "</title></head>\n<body><h1>" + title + "</h1>";
  if (!detail.empty()) body += "<p>" + HtmlEscape(detail) + "</p>";
  body += "</body></html>\n";
  return reply;
}

FileResponder::FileResponder(FileResponderOptions options)
    : options_(std::move(options)) {}

Reply FileResponder::Respond(const RequestInfo& request) {
  const Request& message = request.message;
  if (message.method() != http::verb::get &&
      message.method() != http::verb::head) {
    Reply reply = HtmlStatusReply(http::status::method_not_allowed);
    reply.response.set(http::field::allow, "GET, HEAD");
    return reply;
  }

  std::string_view target = message.target();
  std::optional<std::string_view> raw_path = TargetPath(target);
  if (!raw_path) {
    return HtmlStatusReply(http::status::bad_request, "Bad request target.");
  }
  std::optional<std::string> path = PercentDecode(*raw_path);
  if (!path) {
    return HtmlStatusReply(http::status::bad_request, "Bad percent-encoding.");
  }
  // Decoding first means %2e%2e and %2f cannot smuggle a ".." past the check;
  // NUL would silently truncate the path at the system call.
  if (path->find('\0') != std::string::npos || HasDotDotSegment(*path)) {
    return HtmlStatusReply(http::status::bad_request, "Forbidden path.");
  }

  std::filesystem::path file = options_.root / path->substr(1);
  if (path->back() == '/') file /= "index.html";

  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    return HtmlStatusReply(StatusForErrno(errno));
  }
  if (S_ISDIR(info.st_mode)) {
    // Relative references below a directory only resolve against the slash
    // form, so send clients there (keeping the query), as web servers do.
    std::string location = std::string(*raw_path) + "/";
    location += TargetQuery(target);
    Reply reply = HtmlStatusReply(http::status::moved_permanently,
                                  "Moved to " + location);
    reply.response.set(http::field::location, location);
    return reply;
  }
  if (!S_ISREG(info.st_mode)) return HtmlStatusReply(http::status::not_found);

  Reply reply;
  int error = 0;
  if (!ReadWholeFile(file, reply.response.body(), error)) {
    return HtmlStatusReply(StatusForErrno(error));
  }
  reply.response.result(http::status::ok);
  reply.response.set(http::field::content_type,
                     ContentTypeFor(file.filename().string(),
                                    reply.response.body(),
                                    options_.declare_charset));
  const auto modified = std::chrono::system_clock::from_time_t(info.st_mtime);
  const std::string etag = EntityTag(reply.response.body());
  reply.response.set(http::field::last_modified, FormatHttpDate(modified));
  reply.response.set(http::field::etag, etag);
  // Conditional GET (RFC 9110 13.2.2): If-None-Match decides when present;
  // If-Modified-Since only without it.
  bool not_modified = false;
  if (auto none_match = message.find(http::field::if_none_match); none_match != message.end()) {
    not_modified = NoneMatchHits(none_match->value(), etag);
  } else if (auto since = message.find(http::field::if_modified_since); since != message.end()) {
    const auto when = ParseHttpDate(since->value());
    not_modified = when && std::chrono::floor<std::chrono::seconds>(modified) <= *when;
  }
  if (not_modified) {
    reply.response.result(http::status::not_modified);
    reply.response.body().clear();
  }
  return reply;
}

}  // namespace newshound::outlet

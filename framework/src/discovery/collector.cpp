// The Collector (the rules every document kind shares: URL resolution,
// dates, since, caps, warnings) and the text helpers.
#include <libxml/HTMLparser.h>

#include <algorithm>
#include <cctype>

#include "discovery/date.h"
#include "discovery/internal.h"
#include "newshound/charset.h"
#include "newshound/url.h"

namespace newshound::discovery::internal {
namespace {

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// windows-1252's reading of 0x80..0x9F, which is what "&#146;" means in
// every browser (HTML's numeric character reference rules).
constexpr uint16_t kWindows1252C1[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                         0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
                                         0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                         0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// The code point of "&...;" body `name` ("eacute", "#8217", "#x2019").
std::optional<uint32_t> ReferenceValue(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name[0] == '#') {
    name.remove_prefix(1);
    int base = 10;
    if (!name.empty() && (name[0] == 'x' || name[0] == 'X')) {
      base = 16;
      name.remove_prefix(1);
    }
    if (name.empty() || name.size() > 8) return std::nullopt;
    uint32_t value = 0;
    for (char c : name) {
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (base == 16 && c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (base == 16 && c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return std::nullopt;
      }
      value = value * base + digit;
    }
    if (value >= 0x80 && value <= 0x9F) value = kWindows1252C1[value - 0x80];
    return value;
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return std::nullopt;
  }
  const std::string key(name);
  const htmlEntityDesc* entity = htmlEntityLookup(reinterpret_cast<const xmlChar*>(key.c_str()));
  if (entity == nullptr) return std::nullopt;
  return entity->value;
}

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence.
void TruncateUtf8(std::string* text, size_t max_bytes) {
  if (text->size() <= max_bytes) return;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>((*text)[cut]) & 0xC0) == 0x80) --cut;
  text->resize(cut);
}

std::string ValidUtf8(std::string_view text) {
  if (IsValidUtf8(text)) return std::string(text);
  auto repaired = DecodeToUtf8(text, "utf-8");  // cannot fail for utf-8: bad bytes become U+FFFD
  return repaired.ok() ? std::move(repaired).value() : std::string();
}

// C1 controls (U+0080..U+009F) are never meant in a title: they come from
// windows-1252 text labelled ISO-8859-1, or from "&#146;". Read them as
// windows-1252, as browsers do.
std::string RemapC1Controls(std::string text) {
  if (text.find('\xC2') == std::string::npos) return text;
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (text[i] == '\xC2' && next >= 0x80 && next <= 0x9F) {
      AppendUtf8(kWindows1252C1[next - 0x80], &out);
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

const char* ProblemNoun(Problem kind) {
  switch (kind) {
    case Problem::kXml:
      return "XML errors";
    case Problem::kUrl:
      return "entries dropped for their URL";
    case Problem::kDate:
      return "dates not understood";
    case Problem::kStructure:
      return "misplaced elements";
  }
  return "problems";
}

}  // namespace

// --- Attributes ---

std::optional<std::string> Attributes::Get(std::string_view ns, std::string_view local) const {
  for (int i = 0; i < count_; ++i) {
    const unsigned char* const* a = raw_ + 5 * i;
    const std::string_view name(reinterpret_cast<const char*>(a[0]));
    const std::string_view uri = a[2] == nullptr ? std::string_view() : reinterpret_cast<const char*>(a[2]);
    if (name != local || uri != ns) continue;
    const std::string_view raw(reinterpret_cast<const char*>(a[3]), static_cast<size_t>(a[4] - a[3]));
    // Without entity substitution, libxml2 hands an '&' in an attribute on
    // as "&#38;" (for a tree builder to re-parse); nothing else is escaped.
    std::string value;
    value.reserve(raw.size());
    for (size_t pos = 0; pos < raw.size();) {
      if (raw.compare(pos, 5, "&#38;") == 0) {
        value += '&';
        pos += 5;
      } else {
        value += raw[pos++];
      }
    }
    return value;
  }
  return std::nullopt;
}

// --- Text helpers ---

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string_view TrimAscii(std::string_view text) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string CollapseWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    bool space = IsAsciiSpace(c);
    if (!space && c == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') {
      space = true;
      ++i;
    }
    if (space) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string DecodeHtmlReferences(std::string_view text) {
  // Longest HTML 4 name is 8 characters; numeric ones "#x10FFFF".
  constexpr size_t kMaxReference = 10;
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const size_t semicolon = text.substr(i + 1, kMaxReference + 1).find(';');
    if (semicolon != std::string_view::npos) {
      if (auto value = ReferenceValue(text.substr(i + 1, semicolon))) {
        AppendUtf8(*value, &out);
        i += semicolon + 1;
        continue;
      }
    }
    out += '&';
  }
  return out;
}

std::string StripTags(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  for (size_t i = 0; i < html.size(); ++i) {
    const char c = html[i];
    const char next = i + 1 < html.size() ? html[i + 1] : '\0';
    const bool starts_tag = c == '<' && ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || next == '/' ||
                                         next == '!' || next == '?');
    const size_t close = starts_tag ? html.find('>', i) : std::string_view::npos;
    if (close == std::string_view::npos) {
      out += c;
      continue;
    }
    const std::string tag = LowerAscii(html.substr(i + 1, std::min<size_t>(close - i - 1, 4)));
    for (std::string_view breaking : {"br", "/p", "p", "div", "/div", "li"}) {
      if (tag.compare(0, breaking.size(), breaking) == 0 &&
          (tag.size() == breaking.size() || !std::isalpha(static_cast<unsigned char>(tag[breaking.size()])))) {
        out += ' ';
        break;
      }
    }
    i = close;
  }
  return out;
}

std::string Printable(std::string_view text, size_t max_bytes) {
  std::string out = ValidUtf8(text.substr(0, max_bytes + 4));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') c = ' ';
  }
  if (out.size() > max_bytes || text.size() > max_bytes + 4) {
    TruncateUtf8(&out, max_bytes);
    out += "...";
  }
  return out;
}

// --- Collector ---

Collector::Collector(std::string_view document_url, const DiscoveryOptions& options, DiscoveryResult* result)
    : options_(options), result_(result) {
  // Resolving nothing against it checks it and drops a fragment.
  if (auto base = ResolveUrl(document_url, ""); base.ok()) document_base_ = std::move(base).value();
}

bool Collector::BeginEntry(int line) {
  if (entries_seen_ >= options_.max_entries) {
    if (!entry_cap_reported_) {
      entry_cap_reported_ = true;
      result_->truncated = true;
      Warn("line " + std::to_string(line) + ": more than " + std::to_string(options_.max_entries) +
           " entries; the rest of the document is ignored");
    }
    return false;
  }
  ++entries_seen_;
  return true;
}

void Collector::Add(RawEntry entry, std::vector<DiscoveredEntry>* out) {
  DiscoveredEntry found;
  std::string first_error;
  bool any_url = false;
  for (const UrlCandidate& candidate : entry.urls) {
    const std::string_view ref = TrimAscii(candidate.ref);
    if (ref.empty()) continue;  // resolving "" would give the base itself
    any_url = true;
    if (ref.size() > kMaxUrlBytes) {
      if (first_error.empty()) first_error = "URL longer than " + std::to_string(kMaxUrlBytes) + " bytes";
      continue;
    }
    auto resolved = candidate.base.empty() ? ResolveUrl(ref, ref) : ResolveUrl(candidate.base, ref);
    if (resolved.ok()) {
      found.url = std::move(resolved).value();
      break;
    }
    if (first_error.empty()) {
      first_error = resolved.status().message();
      if (candidate.base.empty()) first_error += " (no base URL to resolve against)";
    }
  }
  if (found.url.empty()) {
    ++result_->dropped;
    Report(Problem::kUrl, entry.line, any_url ? "entry dropped: " + first_error : "entry without a URL dropped");
    return;
  }

  std::string unreadable;
  for (const std::string& date : entry.dates) {
    if (TrimAscii(date).empty()) continue;
    found.time_ms = ParseDiscoveryDate(date);
    if (found.time_ms) break;
    if (unreadable.empty()) unreadable = date;
  }
  if (!found.time_ms && !unreadable.empty()) {
    Report(Problem::kDate, entry.line,
           "date '" + Printable(TrimAscii(unreadable), 60) + "' not understood; the entry is kept without a time");
  }
  if (found.time_ms && options_.since_ms && *found.time_ms < *options_.since_ms) {
    ++result_->skipped_old;
    return;
  }

  found.title = CollapseWhitespace(RemapC1Controls(ValidUtf8(entry.title)));
  TruncateUtf8(&found.title, kMaxTitleBytes);
  found.is_news = entry.is_news;
  out->push_back(std::move(found));
}

void Collector::Report(Problem kind, int line, std::string_view message) {
  const int64_t count = ++problems_[static_cast<size_t>(kind)];
  if (kind == Problem::kXml && count == 1) {
    Warn("the document is not well-formed XML; it was read in recovery mode and entries may be missing");
  }
  if (count > kShownPerProblem) return;
  std::string warning = line > 0 ? "line " + std::to_string(line) + ": " : std::string();
  warning += Printable(message, 300);
  Warn(std::move(warning));
}

void Collector::Finish() {
  for (size_t i = 0; i < kProblemKinds; ++i) {
    const int64_t count = problems_[i];
    if (count <= kShownPerProblem) continue;
    Warn(std::to_string(count - kShownPerProblem) + " more " + ProblemNoun(static_cast<Problem>(i)) + " not shown (" +
         std::to_string(count) + " in all)");
  }
}

}  // namespace newshound::discovery::internal

// Site plugin for Almaghrib Today (almaghribtoday), English and Arabic.
//
// Both editions run the same CMS and template, so one class serves both;
// the edition only changes what the page cannot tell us itself (the
// language when <html lang> is missing). Layout, as the pages have it:
//
//   /                                         home            listing
//   /news/ , /news/page/N/                    all news        listing
//   /news/<section>/ , .../page/N/            section         listing
//   /news/<section>/<slug>-<id>.html          article (en)
//   /news/<section>/<id>.html                 article (ar)
//
// Settings (plugin_settings), all optional:
//   edition:        "en" or "ar"; by default from the host ("en." is the
//                   English edition), then from <html lang>.
//   section_names:  {"<slug>": "<display name>"}, used when a page names
//                   its section nowhere.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "newshound/plugin/date.h"
#include "newshound/plugin/html.h"
#include "newshound/plugin/links.h"
#include "newshound/plugin/sdk.h"
#include "newshound/plugin/settings.h"
#include "newshound/plugin/text.h"

namespace {

namespace sdk = newshound::sdk;
using sdk::ClassXPath;

enum class Edition { kEnglish, kArabic };

std::string_view LanguageOf(Edition edition) { return edition == Edition::kArabic ? "ar" : "en"; }

// --- URL paths ---

// ASCII only, whatever the process locale says.
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// [a-z0-9-]+, the CMS's section and headline slugs.
bool IsSlug(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || IsDigit(c) || c == '-')) return false;
  }
  return true;
}

bool IsNumber(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

std::vector<std::string_view> PathSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t pos = 0;
  while (pos <= path.size()) {
    const size_t end = std::min(path.find('/', pos), path.size());
    segments.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return segments;
}

struct ArticlePath {
  std::string section;
  std::string id;
};

// "/news/<section>/<slug>-<id>.html" or "/news/<section>/<id>.html".
std::optional<ArticlePath> ParseArticlePath(std::string_view path) {
  const std::vector<std::string_view> segments = PathSegments(path);
  if (segments.size() != 4 || !segments[0].empty() || segments[1] != "news" || !IsSlug(segments[2])) {
    return std::nullopt;
  }
  std::string_view file = segments[3];
  if (!file.ends_with(".html")) return std::nullopt;
  file.remove_suffix(5);
  const size_t dash = file.rfind('-');
  const std::string_view id = dash == std::string_view::npos ? file : file.substr(dash + 1);
  if (!IsNumber(id)) return std::nullopt;
  if (dash != std::string_view::npos && !IsSlug(file.substr(0, dash))) return std::nullopt;
  return ArticlePath{std::string(segments[2]), std::string(id)};
}

// "/", "/news/", "/news/page/N/", "/news/<section>/", "/news/<section>/page/N/".
bool IsListingPath(std::string_view path) {
  if (path == "/") return true;
  std::vector<std::string_view> segments = PathSegments(path);
  // A listing path ends with '/', so the last segment is empty.
  if (segments.size() < 3 || !segments[0].empty() || segments[1] != "news" || !segments.back().empty()) {
    return false;
  }
  segments.pop_back();
  segments.erase(segments.begin(), segments.begin() + 2);
  if (!segments.empty() && segments.front() != "page") {
    if (!IsSlug(segments.front())) return false;
    segments.erase(segments.begin());
  }
  if (segments.empty()) return true;
  return segments.size() == 2 && segments[0] == "page" && IsNumber(segments[1]);
}

// --- Page helpers ---

// The first element that XPath selects, as text.
std::string TextOf(const sdk::Node& scope, std::string_view xpath) {
  auto node = scope.SelectFirst(xpath);
  return node ? node->Text() : std::string();
}

std::string AttrOf(const sdk::Node& scope, std::string_view xpath, std::string_view attr) {
  auto node = scope.SelectFirst(xpath);
  return node ? node->Attr(attr) : std::string();
}

std::string HeadLinkXPath(std::string_view rel) {
  // rel is a case-insensitive token list.
  std::string xpath = "//head/link[@href][contains(concat(' ', normalize-space(translate(@rel, "
                      "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')), ' '), ' ";
  xpath += rel;
  xpath += " ')]";
  return xpath;
}

// The dateline split at the first dash with whitespace on both sides.
struct Dateline {
  std::string location;
  std::string agency;
};

Dateline SplitDateline(const std::string& dateline) {
  // Text() has made every space around the dash one ASCII space.
  size_t best = std::string::npos;
  size_t best_length = 0;
  for (std::string_view dash : {" - ", " \u2013 ", " \u2014 "}) {
    const size_t at = dateline.find(dash);
    if (at < best) {
      best = at;
      best_length = dash.size();
    }
  }
  if (best == std::string::npos) return {"", dateline};
  return {sdk::NormalizeSpace(std::string_view(dateline).substr(0, best)),
          sdk::NormalizeSpace(std::string_view(dateline).substr(best + best_length))};
}

// Link inserts inside article bodies ("Read also: <a>...</a>") that point
// at other articles and are not part of the text.
bool IsLinkInsert(const sdk::Node& node) {
  const std::string name = node.Name();
  if (name != "p" && name != "div") return false;
  static const std::vector<std::string> kPrefixes = {
      "read also", "also read", "read more", "see also", "اقرا ايضا", "اقرا كذلك", "اقرا المزيد",
  };
  const std::string folded = sdk::FoldForMatching(node.Text());
  for (const std::string& prefix : kPrefixes) {
    if (folded.starts_with(prefix)) return node.SelectFirst(".//a[@href]").has_value();
  }
  return false;
}

// Elements of div.article-text that are not article text.
bool IsBodyNoise(const sdk::Node& node) {
  static const std::vector<std::string_view> kClasses = {
      "inread-ad",   "ad",          "ads",           "advert",        "ad-banner",  "ad-slot",
      "banner",      "read-also",   "read-more",     "related",       "related-news", "caption",
      "image-caption", "article-image", "article-tools", "article-keywords", "share", "social-links",
  };
  // One read of @class for all the names (as HasClass splits it, on HTML
  // white space): this runs for every element of every body.
  const std::string classes = node.Attr("class");
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; };
  for (size_t pos = 0; pos < classes.size();) {
    while (pos < classes.size() && is_space(classes[pos])) ++pos;
    size_t end = pos;
    while (end < classes.size() && !is_space(classes[end])) ++end;
    const std::string_view token = std::string_view(classes).substr(pos, end - pos);
    if (!token.empty() && std::find(kClasses.begin(), kClasses.end(), token) != kClasses.end()) return true;
    pos = end;
  }
  if (node.Attr("id").starts_with("div-gpt-ad")) return true;
  return IsLinkInsert(node);
}

class AlmaghribToday {
 public:
  explicit AlmaghribToday(const sdk::Context& ctx) {
    const sdk::Settings settings = sdk::Settings::Parse(ctx.settings_json());
    for (const std::string& key : settings.Keys()) {
      if (key != "edition" && key != "section_names") {
        throw std::invalid_argument("unknown plugin setting '" + key + "' (known: edition, section_names)");
      }
    }
    const std::string edition = settings.GetString("edition");
    if (edition == "en") {
      edition_ = Edition::kEnglish;
    } else if (edition == "ar") {
      edition_ = Edition::kArabic;
    } else if (!edition.empty()) {
      throw std::invalid_argument("plugin setting 'edition' must be \"en\" or \"ar\", got \"" + edition + "\"");
    }
    section_names_ = settings.GetStringMap("section_names");
  }

  void Process(const sdk::Page& page, sdk::Result& out) const {
    const sdk::Document doc = sdk::Document::Parse(page.html, page.url);
    const std::string path = sdk::PathOf(page.url);
    if (auto article = doc.SelectFirst("//article[" + ClassXPath("article-view") + "][.//h1[" +
                                       ClassXPath("article-title") + "]]")) {
      out.SetKind(sdk::PageKind::kArticle);
      ProcessArticle(doc, *article, out);
      return;
    }
    const bool listing = IsListingPath(path) ||
                         doc.SelectFirst("//main[" + ClassXPath("col-main") + "]//h1[" +
                                         ClassXPath("section-title") + "]")
                             .has_value();
    if (listing) {
      out.SetKind(sdk::PageKind::kListing);
      ProcessListing(doc, out);
    } else {
      out.SetKind(sdk::PageKind::kOther);
    }
    AddNavLinks(doc, out);
  }

 private:
  Edition EditionOf(const sdk::Document& doc) const {
    if (edition_) return *edition_;
    const std::string host = sdk::HostOf(doc.url());
    if (host.starts_with("en.")) return Edition::kEnglish;
    if (host == "almaghribtoday.test" || host.ends_with(".almaghribtoday.test")) return Edition::kArabic;
    // Unknown host (a mirror or a test server): the page says it.
    const std::string lang = AttrOf(doc.Root(), "/html", "lang");
    return lang.starts_with("ar") ? Edition::kArabic : Edition::kEnglish;
  }

  void ProcessListing(const sdk::Document& doc, sdk::Result& out) const {
    auto main = doc.SelectFirst("//main[" + ClassXPath("col-main") + "]");
    if (main) {
      // The home page shows some articles in several blocks; report each once.
      std::set<std::string> seen;
      for (const sdk::Node& link : main->Select(".//a[@href]")) {
        auto url = doc.Resolve(link.Attr("href"));
        if (url && ParseArticlePath(sdk::PathOf(*url)) && seen.insert(*url).second) out.AddArticle(*url);
      }
    }
    // The pager keeps a disabled "Next" on the last page (href="#", which
    // Resolve refuses); the head's rel=next is the fallback.
    std::optional<std::string> next;
    if (main) {
      if (auto link = main->SelectFirst(".//ul[" + ClassXPath("pagination") + "]//li[" + ClassXPath("next") +
                                        "][not(" + ClassXPath("disabled") + ")]//a[@href]")) {
        next = doc.Resolve(link->Attr("href"));
      }
    }
    if (!next) {
      if (auto link = doc.SelectFirst(HeadLinkXPath("next"))) next = doc.Resolve(link->Attr("href"));
    }
    if (next && *next != doc.url()) out.SetNext(*next);
  }

  // The nav lists every section, so a crawl from any listing reaches all.
  void AddNavLinks(const sdk::Document& doc, sdk::Result& out) const {
    const std::string host = sdk::HostOf(doc.url());
    std::set<std::string> seen;
    for (const sdk::Node& link : doc.Select("//nav[" + ClassXPath("main-nav") + "]//a[@href]")) {
      auto url = doc.Resolve(link.Attr("href"));
      if (!url || sdk::HostOf(*url) != host || !IsListingPath(sdk::PathOf(*url))) continue;
      if (seen.insert(*url).second) out.AddLink(*url, sdk::LinkKind::kListing);
    }
  }

  void ProcessArticle(const sdk::Document& doc, const sdk::Node& article, sdk::Result& out) const {
    out.Set("title", TextOf(article, ".//h1[" + ClassXPath("article-title") + "]"));

    const std::string canonical = [&] {
      auto link = doc.SelectFirst(HeadLinkXPath("canonical"));
      auto url = link ? doc.Resolve(link->Attr("href")) : std::nullopt;
      return url.value_or("");
    }();
    out.Set("canonical_url", canonical);

    std::optional<ArticlePath> where = ParseArticlePath(sdk::PathOf(doc.url()));
    if (!where && !canonical.empty()) where = ParseArticlePath(sdk::PathOf(canonical));
    if (where) {
      out.Set("section", where->section);
      out.Set("article_id", where->id);
    } else {
      const std::string id = article.Attr("data-article-id");
      if (IsNumber(id)) out.Set("article_id", id);
    }
    out.Set("section_name", SectionName(doc, where ? where->section : std::string()));

    if (auto published = Published(doc, article)) out.Set("published", published->ToIso());

    const std::string dateline = TextOf(article, ".//p[" + ClassXPath("article-source") + "]");
    if (!dateline.empty()) {
      const Dateline parts = SplitDateline(dateline);
      out.Set("dateline", dateline);
      out.Set("location", parts.location);
      out.Set("agency", parts.agency);
    }

    if (auto text = article.SelectFirst(".//div[" + ClassXPath("article-text") + "]")) {
      out.Set("body", sdk::JoinParagraphs(text->Paragraphs(&IsBodyNoise)));
    }

    std::string language = AttrOf(doc.Root(), "/html", "lang");
    if (language.empty()) language = std::string(LanguageOf(EditionOf(doc)));
    out.Set("language", language);

    std::optional<std::string> image;
    if (auto meta = doc.SelectFirst("//head/meta[@property='og:image'][@content]")) {
      image = doc.Resolve(meta->Attr("content"));
    }
    if (!image) {
      if (auto img = article.SelectFirst(".//div[" + ClassXPath("article-image") + "]//img[@src]")) {
        image = doc.Resolve(img->Attr("src"));
      }
    }
    if (image) out.Set("image", *image);

    AddRelated(doc, out);
  }

  // The CMS keeps one timestamp per article but never prints it whole: the
  // date is in the datetime of time.last-update (and in meta tags), the
  // time of day in its text, "Last Updated : GMT 09:03:51".
  static std::optional<sdk::DateTime> Published(const sdk::Document& doc, const sdk::Node& article) {
    std::optional<sdk::DateTime> date;
    std::optional<sdk::TimeOfDay> time;
    if (auto stamp = doc.SelectFirst("//time[" + ClassXPath("last-update") + "]")) {
      date = sdk::ParseIsoDateTime(stamp->Attr("datetime"));
      time = sdk::ParseTimeOfDay(stamp->Text());
    }
    if (!date) date = sdk::ParseIsoDateTime(AttrOf(article, ".//meta[@itemprop='datePublished']", "content"));
    if (!date) {
      date = sdk::ParseIsoDateTime(AttrOf(doc.Root(), "//meta[@property='article:published_time']", "content"));
    }
    if (!date) {
      if (auto visible = article.SelectFirst(".//div[" + ClassXPath("article-date") + "]//time")) {
        date = sdk::ParseIsoDateTime(visible->Attr("datetime"));
        if (!date) date = sdk::ParseStamp(visible->Text());
      }
    }
    if (!date) return std::nullopt;
    return time ? date->WithTime(*time) : *date;
  }

  std::string SectionName(const sdk::Document& doc, const std::string& section) const {
    std::string name = sdk::NormalizeSpace(AttrOf(doc.Root(), "//meta[@property='article:section']", "content"));
    if (!name.empty() || section.empty()) return name;
    const std::string section_path = "/news/" + section + "/";
    for (const sdk::Node& link : doc.Select("//nav[" + ClassXPath("main-nav") + "]//a[@href]")) {
      auto url = doc.Resolve(link.Attr("href"));
      if (url && sdk::PathOf(*url) == section_path) return link.Text();
    }
    auto configured = section_names_.find(section);
    return configured == section_names_.end() ? std::string() : configured->second;
  }

  static void AddRelated(const sdk::Document& doc, sdk::Result& out) {
    for (const sdk::Node& item : doc.Select("//section[" + ClassXPath("related-news") + "]//li")) {
      // The headline link, not an image link that may come first.
      auto link = item.SelectFirst(".//*[self::h2 or self::h3 or self::h4]//a[@href]");
      if (!link) link = item.SelectFirst(".//a[@href][normalize-space(.) != '']");
      if (!link) continue;
      const std::string title = link->Text();
      auto url = doc.Resolve(link->Attr("href"));
      if (title.empty() || !url) continue;
      auto stamp = sdk::ParseStamp(TextOf(item, ".//*[" + ClassXPath("news-time") + "]"));
      out.AddRelated(title, *url, stamp ? stamp->ToIso() : std::string());
    }
  }

  std::optional<Edition> edition_;
  std::map<std::string, std::string> section_names_;
};

}  // namespace

NEWSHOUND_PLUGIN(AlmaghribToday, "almaghribtoday", "1.0.0",
                 "Almaghrib Today (English and Arabic editions): articles, listings, related news",
                 "en.almaghribtoday.test", "www.almaghribtoday.test")

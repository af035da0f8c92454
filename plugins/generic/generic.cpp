// The generic plugin: the fallback for sites that have no plugin of their
// own. It knows no template; it reads what pages publish for machines
// (JSON-LD, OpenGraph and other meta tags) and, for the rest, reads the
// page the way a reader does: the body is the densest block of prose, the
// listing is the run of article links in the main area. docs/extraction.md
// explains every decision and gives the measured quality.
//
// Settings (plugin_settings), all optional:
//   site_name:      the outlet's name, stripped from titles and dropped as a
//                   body paragraph (og:site_name and the host name are used
//                   as well).
//   body_selector:  a CSS selector for the article body; when it matches,
//                   its paragraphs are the body and the density heuristic
//                   is not consulted.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "newshound/plugin/css.h"
#include "newshound/plugin/date.h"
#include "newshound/plugin/html.h"
#include "newshound/plugin/links.h"
#include "newshound/plugin/metadata.h"
#include "newshound/plugin/sdk.h"
#include "newshound/plugin/settings.h"
#include "newshound/plugin/text.h"

namespace {

namespace sdk = newshound::sdk;

using sdk::ArticleMetadata;
using sdk::PageMeta;

// ASCII only: class names, tags and meta keys are ASCII, and the process
// locale must not matter.
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A meta value by key; the SDK lower-cases keys ("DC.date.issued" is
// "dc.date.issued", "itemprop:datePublished" "itemprop:datepublished").
std::string MetaValue(const std::map<std::string, std::string>& values, std::string_view key) {
  auto it = values.find(Lower(key));
  return it == values.end() ? std::string() : sdk::NormalizeSpace(it->second);
}

// --- Text measures ---

// Code points, not bytes, so that Arabic text and English text of the same
// length weigh the same.
size_t CharCount(std::string_view utf8) {
  size_t n = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

// Decodes one code point; invalid bytes come out as U+FFFD, one byte each.
char32_t DecodeAt(std::string_view s, size_t& pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(pos);
  size_t length = 1;
  char32_t cp = 0xFFFD;
  if (lead < 0x80) {
    cp = lead;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    cp = lead & 0x07;
  } else {
    ++pos;
    return 0xFFFD;
  }
  if (pos + length > s.size()) {
    ++pos;
    return 0xFFFD;
  }
  for (size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) {
      ++pos;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  pos += length;
  return cp;
}

// Punctuation and symbols (arrows and dingbats too) that never make two
// names differ.
bool IsPunctuation(char32_t cp) {
  if (cp < 0x80) {
    return !((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'));
  }
  return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) || cp == 0x060C ||
         cp == 0x061B || cp == 0x061F || (cp >= 0x066A && cp <= 0x066D) || cp == 0x06D4 ||
         (cp >= 0x2190 && cp <= 0x21FF) || (cp >= 0x25A0 && cp <= 0x25FF) || (cp >= 0x2700 && cp <= 0x27BF) ||
         (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFF0F) || cp == 0xFFFD;
}

// A key for "the same words, whatever the spacing, case and punctuation":
// "Almaghrib Today," and "almaghribtoday" compact alike.
std::string Compact(std::string_view text) {
  const std::string folded = sdk::FoldForMatching(text);
  std::string out;
  for (size_t pos = 0; pos < folded.size();) {
    const size_t start = pos;
    const char32_t cp = DecodeAt(folded, pos);
    if (!IsPunctuation(cp)) out.append(folded, start, pos - start);
  }
  return out;
}

size_t CountCommas(std::string_view text) {
  size_t n = 0;
  for (size_t pos = 0; pos < text.size();) {
    const char32_t cp = DecodeAt(text, pos);
    if (cp == ',' || cp == 0x060C || cp == 0xFF0C || cp == 0x3001) ++n;
  }
  return n;
}

size_t CountWords(std::string_view text) {
  size_t n = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

// Whether text reads as language rather than decoded binary: almost no
// U+FFFD and control characters.
bool IsProse(std::string_view text) {
  size_t total = 0, junk = 0;
  for (size_t pos = 0; pos < text.size();) {
    const char32_t cp = DecodeAt(text, pos);
    ++total;
    if (cp == 0xFFFD || (cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7F && cp < 0xA0)) ++junk;
  }
  return junk * 20 < total;
}

bool EndsSentence(std::string_view text) {
  for (std::string_view end : {".", "!", "?", "\u061F", "\u06D4", ".\"", ".\u201D", "\u3002"}) {
    if (text.ends_with(end)) return true;
  }
  return text.find(". ") != std::string_view::npos;
}

// --- Class and id hints ---

// Lower-case ASCII alphanumeric runs of class and id: "article-text inread-ad"
// gives article, text, inread, ad.
std::vector<std::string> HintTokens(const sdk::Node& node) {
  std::vector<std::string> tokens;
  for (const std::string& value : {node.Attr("class"), node.Attr("id")}) {
    std::string token;
    for (char c : value) {
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        token += c;
      } else if (c >= 'A' && c <= 'Z') {
        token += static_cast<char>(c - 'A' + 'a');
      } else if (!token.empty()) {
        tokens.push_back(std::move(token));
        token.clear();
      }
    }
    if (!token.empty()) tokens.push_back(std::move(token));
  }
  return tokens;
}

bool TokenIn(const std::string& token, std::initializer_list<std::string_view> list) {
  return std::find(list.begin(), list.end(), token) != list.end();
}

struct Hints {
  bool negative = false;
  bool positive = false;
};

// What class and id say about an element: negative for the furniture
// around articles, positive for the usual names of article containers.
// Short words match whole tokens only ("ad" must not hit "header" or
// "read"); longer ones match inside the joined tokens, so "mostRead",
// "most-read" and "comments-desktop" are all caught.
Hints HintsOf(const sdk::Node& node) {
  Hints hints;
  const std::vector<std::string> tokens = HintTokens(node);
  if (tokens.empty()) return hints;
  std::string joined;
  for (const std::string& token : tokens) {
    joined += token;
    if (TokenIn(token, {"ad",        "ads",        "adv",         "advert",      "banner",    "nav",        "navbar",
                        "menu",      "share",      "sharing",     "social",      "widget",    "widgets",    "popular",
                        "trending",  "tags",       "tag",         "keywords",    "print",     "tools",      "toolbar",
                        "masthead",  "header",     "footer",      "sidebar",     "side",      "aside",      "modal",
                        "popup",     "login",      "signup",      "caption",     "credit",    "credits",    "meta",
                        "byline",    "author",     "pager",       "pages",       "subscribe", "newsletter", "cookie",
                        "cookies",   "breadcrumb", "breadcrumbs", "pagination",  "captcha",   "terms",      "sponsor",
                        "sponsored", "promo",      "promoted",    "recommended", "rss",       "pub",        "publicite",
                        "werbung",   "anzeige"})) {
      hints.negative = true;
    }
    if (TokenIn(token, {"article", "articlebody", "body", "content", "entry", "hentry", "main", "post", "text", "story",
                        "blog", "page"})) {
      hints.positive = true;
    }
  }
  for (std::string_view part :
       {"comment",    "related",    "mostread",   "mostpopular", "mostviewed", "readmore", "readalso", "seealso",
        "sidebar",    "widget",     "sponsor",    "advert",      "promo",      "footer",   "share",    "social",
        "newsletter", "breadcrumb", "pagination", "disqus",      "outbrain",   "taboola",  "teaser"}) {
    if (joined.find(part) != std::string::npos) hints.negative = true;
  }
  if (joined.find("articlebody") != std::string::npos || joined.find("storybody") != std::string::npos) {
    hints.positive = true;
  }
  return hints;
}

// Elements that hold page furniture, never article text or listed
// articles, whatever their classes say.
bool IsFurnitureTag(std::string_view tag) {
  return tag == "nav" || tag == "header" || tag == "footer" || tag == "aside" || tag == "form" || tag == "menu" ||
         tag == "dialog";
}

// Elements whose content is never text.
bool IsOpaqueTag(std::string_view tag) {
  return tag == "script" || tag == "style" || tag == "noscript" || tag == "template" || tag == "svg" ||
         tag == "iframe" || tag == "select" || tag == "textarea" || tag == "button" || tag == "object" ||
         tag == "canvas" || tag == "video" || tag == "audio" || tag == "math";
}

// Elements kept even when their hints are negative: the page's own
// structure ("<main class=content-with-sidebar>").
bool IsStructuralTag(std::string_view tag) {
  return tag == "html" || tag == "body" || tag == "main" || tag == "article";
}

bool IsInlineTag(std::string_view tag) {
  return tag == "a" || tag == "b" || tag == "strong" || tag == "i" || tag == "em" || tag == "u" || tag == "span" ||
         tag == "small" || tag == "sup" || tag == "sub" || tag == "mark" || tag == "abbr" || tag == "cite" ||
         tag == "q" || tag == "code" || tag == "font" || tag == "time" || tag == "bdi" || tag == "bdo";
}

bool IsHeadingTag(std::string_view tag) { return tag.size() == 2 && tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6'; }

// --- URLs ---

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    if (end > pos) out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// The longest run of ASCII digits in `s`.
size_t LongestDigitRun(std::string_view s) {
  size_t best = 0, run = 0;
  for (char c : s) {
    run = IsAsciiDigit(c) ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

bool AllDigits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsAsciiDigit); }

// "www.", "m." and the like name the same site as the bare host.
std::string SiteHost(std::string_view host) {
  std::string h(host);
  for (std::string_view prefix : {"www.", "m.", "mobile.", "amp."}) {
    if (h.starts_with(prefix)) return h.substr(prefix.size());
  }
  return h;
}

bool SameSite(std::string_view url, std::string_view page_url) {
  const std::string a = sdk::HostOf(url), b = sdk::HostOf(page_url);
  return !a.empty() && (a == b || SiteHost(a) == SiteHost(b));
}

// Path segments that name pages about articles (tags, authors, search,
// print versions, comment forms), never an article itself.
bool IsNonArticleSegment(std::string_view segment) {
  const std::string s = Lower(segment);
  for (std::string_view word :
       {"tag",          "tags",     "category", "categories", "author",    "authors",    "search",   "page",
        "print",        "comments", "comment",  "captcha",    "login",     "logout",     "register", "signup",
        "signin",       "account",  "feed",     "feeds",      "rss",       "topic",      "topics",   "about",
        "contact",      "privacy",  "terms",    "advertise",  "subscribe", "newsletter", "cdn-cgi",  "wp-admin",
        "wp-login.php", "share",    "sharer",   "static",     "assets",    "uploads",    "images"}) {
    if (s == word) return true;
  }
  return false;
}

// Whether the URL has the shape of one article: a last segment that
// carries an id of four or more digits ("153066.html",
// "russian-jet-crashes-in-syria-32883.html", "article.php?id=12345"), is a
// slug of four or more words, or is a slug below a year ("/2021/03/04/
// glacier-melt/"); and no segment that names tags, authors, search or the
// like. Listing-shaped paths ("/news/", "/news/page/2/", "/2017/",
// "/news/middle-east-africa/") are not.
bool IsArticleUrl(std::string_view url) {
  const std::string path = sdk::PathOf(url);
  if (path.empty()) return false;
  const std::vector<std::string_view> segments = Segments(path);
  if (segments.empty()) return false;
  for (std::string_view segment : segments) {
    if (IsNonArticleSegment(segment)) return false;
  }
  std::string last = Lower(segments.back());
  for (std::string_view ext : {".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".xml", ".css", ".js", ".json",
                               ".zip", ".mp3", ".mp4", ".ico", ".txt", ".rss"}) {
    if (last.ends_with(ext)) return false;
  }
  for (std::string_view ext : {".html", ".htm", ".shtml", ".php", ".aspx", ".asp", ".jsp"}) {
    if (last.ends_with(ext)) {
      last.resize(last.size() - ext.size());
      break;
    }
  }
  // A year or a page number alone is an archive, not an article.
  if (AllDigits(last) &&
      (last.size() <= 2 || (last.size() == 4 && (last.starts_with("19") || last.starts_with("20"))))) {
    return false;
  }
  if (LongestDigitRun(last) >= 4) return true;
  size_t words = 1;
  for (char c : last) {
    if (c == '-' || c == '_') ++words;
  }
  // Four words: section slugs run to three ("middle-east-africa").
  if (words >= 4 && last.size() >= 20) return true;
  // "/2017/10/10/some-story/": a dated path with a slug.
  if (segments.size() >= 3 && words >= 2) {
    for (std::string_view segment : segments) {
      if (segment.size() == 4 && AllDigits(segment) && (segment.starts_with("19") || segment.starts_with("20"))) {
        return true;
      }
    }
  }
  // "article.php?id=12345".
  const size_t query = url.find('?');
  if (query != std::string_view::npos && LongestDigitRun(url.substr(query)) >= 4) return true;
  return false;
}

// --- The page model ---

// One element of the page body with what the extractor measures of it.
struct Element {
  explicit Element(const sdk::Node& n) : node(n) {}

  sdk::Node node;
  int parent = -1;
  std::string tag;
  Hints hints;
  bool excluded = false;    // inside furniture (by tag or by negative hints)
  bool in_main = false;     // inside <main> / role=main, when the page has one
  bool in_link = false;     // inside <a>
  bool in_section = false;  // inside <article> or the main area
  size_t own_chars = 0;     // direct text
  size_t text_chars = 0;    // all text below
  size_t link_chars = 0;    // text below inside <a>
  bool scored = false;
  double score = 0;

  double LinkDensity() const { return text_chars == 0 ? 0.0 : static_cast<double>(link_chars) / text_chars; }
};

struct PageModel {
  std::vector<Element> elements;  // document order (pre-order)
  bool has_main = false;

  // Whether an element is in the main area: inside <main> (or role=main)
  // when the page has one, else anywhere in the body; never in furniture.
  bool InMainArea(const Element& e) const { return !e.excluded && (!has_main || e.in_main); }

  // Text of the main area that is not link text: the prose a listing
  // spreads over its teasers and an article keeps in its body.
  size_t MainProseChars() const {
    size_t chars = 0;
    for (const Element& e : elements) {
      if (InMainArea(e) && !e.in_link) chars += e.own_chars;
    }
    return chars;
  }
};

bool IsMainElement(const sdk::Node& node, std::string_view tag) {
  return tag == "main" || Lower(node.Attr("role")) == "main";
}

// Walks the body once, iteratively (the HTML parser accepts nesting deeper
// than a recursive walk's stack would), recording every element that can
// hold text.
PageModel BuildModel(const sdk::Document& doc) {
  PageModel model;
  std::optional<sdk::Node> body = doc.SelectFirst("/html/body");
  if (!body) body = doc.SelectFirst("//body");
  if (!body) return model;
  model.has_main = doc.SelectFirst("//main | //*[@role='main']").has_value();

  struct Pending {
    sdk::Node node;
    int parent;
  };
  std::vector<Pending> stack = {{*body, -1}};
  while (!stack.empty()) {
    Pending item = stack.back();
    stack.pop_back();
    Element e(item.node);
    e.parent = item.parent;
    e.tag = item.node.Name();
    if (IsOpaqueTag(e.tag)) continue;
    e.hints = HintsOf(item.node);
    const Element* parent = item.parent >= 0 ? &model.elements[item.parent] : nullptr;
    // <header> and <footer> inside an <article> or <main> belong to it (a
    // post's title and byline, its tags); elsewhere they are the site's.
    const bool own_section = (e.tag == "header" || e.tag == "footer") && parent != nullptr && parent->in_section;
    e.in_section = (parent != nullptr && parent->in_section) || e.tag == "article" || IsMainElement(item.node, e.tag);
    const bool furniture = (IsFurnitureTag(e.tag) && !own_section) ||
                           (e.hints.negative && !e.hints.positive && !IsStructuralTag(e.tag)) ||
                           Lower(item.node.Attr("aria-hidden")) == "true" || item.node.HasAttr("hidden");
    e.excluded = (parent != nullptr && parent->excluded) || furniture;
    e.in_main = (parent != nullptr && parent->in_main) || IsMainElement(item.node, e.tag);
    e.in_link = (parent != nullptr && parent->in_link) || e.tag == "a";
    for (const sdk::Node& text : item.node.Select("text()")) e.own_chars += CharCount(text.Text());
    const int index = static_cast<int>(model.elements.size());
    model.elements.push_back(std::move(e));
    const std::vector<sdk::Node> children = item.node.Children();
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back({*it, index});
  }
  // Children follow their parent, so a reverse pass sums subtrees.
  for (size_t i = model.elements.size(); i-- > 0;) {
    Element& e = model.elements[i];
    e.text_chars += e.own_chars;
    if (e.tag == "a") e.link_chars = e.text_chars;
    if (e.parent >= 0) {
      model.elements[e.parent].text_chars += e.text_chars;
      model.elements[e.parent].link_chars += e.link_chars;
    }
  }
  return model;
}

// --- Body extraction ---

constexpr size_t kMinParagraphChars = 25;  // shorter blocks are not prose
// A body makes a page an article when it has this many characters, or the
// smaller number in at least two paragraphs (news briefs are short, but a
// lone block of 250 characters is as likely an "about us" blurb).
constexpr size_t kSubstantialBodyChars = 400;
constexpr size_t kSubstantialMultiParagraphChars = 250;
constexpr size_t kMinListingArticles = 2;

// The readability-style starting score of a container by its tag and hints.
double InitialScore(const Element& e) {
  double score = 0;
  if (e.tag == "div" || e.tag == "article" || e.tag == "section") {
    score += 5;
  } else if (e.tag == "pre" || e.tag == "td" || e.tag == "blockquote") {
    score += 3;
  } else if (e.tag == "address" || e.tag == "ol" || e.tag == "ul" || e.tag == "dl" || e.tag == "dd" || e.tag == "dt" ||
             e.tag == "li" || e.tag == "form") {
    score -= 3;
  } else if (IsHeadingTag(e.tag) || e.tag == "th") {
    score -= 5;
  }
  if (e.hints.negative) score -= 25;
  if (e.hints.positive) score += 25;
  const std::string itemprop = e.node.Attr("itemprop");
  if (itemprop == "articleBody" || itemprop == "text") score += 25;
  return score;
}

bool IsParagraphTag(std::string_view tag) { return tag == "p" || tag == "pre" || tag == "blockquote"; }

// Text that stands directly in a container (a body written as text and
// <br><br>), joined; it counts as one paragraph of that container.
std::string OwnText(const sdk::Node& node) {
  std::string text;
  for (const sdk::Node& t : node.Select("text()")) {
    text += t.Text();
    text += ' ';
  }
  return sdk::NormalizeSpace(text);
}

struct Candidate {
  int index = -1;
  double score = 0;
};

// Scores every container by the prose it holds, as readability does: each
// paragraph of 25 characters or more is worth 1, plus 1 per comma, plus 1
// per 100 characters (at most 3); its parent gets that in full, the
// grandparent half, the great-grandparent a sixth. Each container starts
// from InitialScore and ends multiplied by (1 - link density). Returns the
// best; index -1 when no paragraph qualified.
Candidate ScoreCandidates(PageModel& model) {
  std::vector<Element>& elements = model.elements;
  const auto add = [&](int index, double points) {
    Element& e = elements[index];
    if (!e.scored) {
      e.scored = true;
      e.score = InitialScore(e);
    }
    e.score += points;
  };
  for (size_t i = 0; i < elements.size(); ++i) {
    const Element& e = elements[i];
    if (e.excluded) continue;
    std::string text;
    int first_level;  // the element that counts as the paragraph's parent
    if (IsParagraphTag(e.tag)) {
      if (e.text_chars < kMinParagraphChars) continue;
      text = e.node.Text();
      first_level = e.parent;
    } else if (!IsInlineTag(e.tag) && !IsHeadingTag(e.tag) && e.own_chars >= kMinParagraphChars) {
      text = OwnText(e.node);
      first_level = static_cast<int>(i);
    } else {
      continue;
    }
    const size_t chars = CharCount(text);
    if (chars < kMinParagraphChars) continue;
    const double points = 1.0 + static_cast<double>(CountCommas(text)) + std::min(3.0, chars / 100.0);
    int level = 0;
    for (int at = first_level; at >= 0 && level < 3; at = elements[at].parent, ++level) {
      if (elements[at].excluded) break;
      add(at, level == 0 ? points : level == 1 ? points / 2 : points / (level * 3));
    }
  }
  Candidate best;
  for (size_t i = 0; i < elements.size(); ++i) {
    Element& e = elements[i];
    if (!e.scored || e.excluded) continue;
    e.score *= 1.0 - e.LinkDensity();
    if (best.index < 0 || e.score > best.score) best = {static_cast<int>(i), e.score};
  }
  return best;
}

// Share of an element's text that is link text, measured directly (for
// nodes the model does not index, such as those under a selector match).
double LinkDensityOf(const sdk::Node& node, size_t* chars = nullptr) {
  const size_t total = CharCount(node.Text());
  if (chars != nullptr) *chars = total;
  if (total == 0) return 0;
  size_t links = 0;
  for (const sdk::Node& a : node.Select(".//a")) links += CharCount(a.Text());
  return static_cast<double>(std::min(links, total)) / total;
}

// "Read also: <a>...</a>" inserts between body paragraphs. Prefixes are
// written as FoldForMatching gives them (Arabic without hamza).
bool IsLinkInsert(const sdk::Node& node) {
  const std::string folded = sdk::FoldForMatching(node.Text());
  for (std::string_view prefix : {"read also", "also read", "read more", "see also", "related:", "more:", "اقرا ايضا",
                                  "اقرا كذلك", "اقرا المزيد", "شاهد ايضا"}) {
    if (folded.starts_with(prefix)) return node.SelectFirst(".//a[@href]").has_value();
  }
  return false;
}

// Everything inside the chosen body that is not article text: furniture,
// elements whose hints are negative (even if also positive:
// "article-keywords", "article-tools" inside the body are not text), the
// headline (an h1, or any element that repeats the title: old templates
// print it as <font><b>), link lists and link inserts. Other inline
// elements are kept whatever their hints, so that a link in a sentence
// leaves the sentence whole.
class BodyNoise {
 public:
  explicit BodyNoise(std::string title) : title_(Compact(title)) {}

  bool operator()(const sdk::Node& node) const {
    const std::string tag = node.Name();
    if (IsFurnitureTag(tag) || IsOpaqueTag(tag) || tag == "h1") return true;
    if (Lower(node.Attr("aria-hidden")) == "true" || node.HasAttr("hidden")) return true;
    if (!title_.empty() && tag != "p" && Compact(node.Text()) == title_) return true;
    if (IsInlineTag(tag)) return false;
    if (HintsOf(node).negative) return true;
    if (IsLinkInsert(node)) return true;
    size_t chars = 0;
    const double density = LinkDensityOf(node, &chars);
    return chars > 0 && density > 0.5;
  }

 private:
  std::string title_;
};

struct BodyResult {
  std::vector<std::string> paragraphs;
  size_t chars = 0;
  int article_links = 0;  // distinct same-site article links inside the body nodes
  std::vector<sdk::Node> nodes;
  // A date line and a byline that opened the body and were taken out of
  // it: the last sources for published and authors.
  std::string leading_date, leading_byline;
};

// The body containers: the best candidate and those of its siblings that
// belong with it (readability's rule: a sibling scoring at least a fifth of
// the best, or a prose paragraph with few links).
std::vector<sdk::Node> BodyNodes(const PageModel& model, const Candidate& best) {
  const std::vector<Element>& elements = model.elements;
  const Element& top = elements[best.index];
  if (top.parent < 0) return {top.node};
  const double threshold = std::max(10.0, best.score * 0.2);
  std::vector<sdk::Node> nodes;
  for (size_t i = top.parent + 1; i < elements.size(); ++i) {
    const Element& e = elements[i];
    if (e.parent != top.parent) continue;
    if (static_cast<int>(i) == best.index) {
      nodes.push_back(e.node);
      continue;
    }
    if (e.excluded || e.hints.negative) continue;
    bool include = e.scored && e.score >= threshold;
    if (!include && e.tag == "p") {
      const std::string text = e.node.Text();
      const size_t chars = CharCount(text);
      const double density = e.LinkDensity();
      include = (chars >= 80 && density < 0.25) || (chars > 0 && chars < 80 && density == 0 && EndsSentence(text));
    }
    if (include) nodes.push_back(e.node);
  }
  return nodes;
}

// --- Site names and titles ---

// Whether `text` is nothing but site names ("Almaghrib Today, almaghrib
// today", ".almaghribtoday"): alt texts and SEO filler that naive
// extraction keeps.
bool IsOnlySiteName(std::string_view text, const std::vector<std::string>& site_names) {
  std::string rest = Compact(text);
  if (rest.empty() || site_names.empty()) return false;
  while (!rest.empty()) {
    bool matched = false;
    for (const std::string& name : site_names) {
      if (!name.empty() && rest.starts_with(name)) {
        rest.erase(0, name.size());
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  return true;
}

// Whether a part of a <title> names the site: only site names, or a few
// words that contain one ("The Daily Example" on dailyexample.test).
bool IsSiteNamePart(std::string_view part, const std::vector<std::string>& site_names) {
  if (IsOnlySiteName(part, site_names)) return true;
  if (CountWords(sdk::NormalizeSpace(part)) > 4) return false;
  const std::string compact = Compact(part);
  for (const std::string& name : site_names) {
    if (!name.empty() && compact.find(name) != std::string::npos) return true;
  }
  return false;
}

// Drops site-name parts from a title: "Latest News - Page 4 | almaghrib
// today" gives "Latest News - Page 4".
std::string StripSiteName(const std::string& title, const std::vector<std::string>& site_names) {
  static const std::vector<std::string_view> kSeparators = {
      " | ", " - ", " \u2013 ", " \u2014 ", " :: ", " \u00BB ", " \u00AB ", " \u00B7 ", " : ", " / "};
  std::string current = title;
  for (bool changed = true; changed;) {
    changed = false;
    for (std::string_view sep : kSeparators) {
      const size_t last = current.rfind(sep);
      if (last != std::string::npos && IsSiteNamePart(current.substr(last + sep.size()), site_names)) {
        current = sdk::NormalizeSpace(current.substr(0, last));
        changed = true;
        break;
      }
      const size_t first = current.find(sep);
      if (first != std::string::npos && IsSiteNamePart(current.substr(0, first), site_names)) {
        current = sdk::NormalizeSpace(current.substr(first + sep.size()));
        changed = true;
        break;
      }
    }
  }
  return IsOnlySiteName(current, site_names) ? std::string() : current;
}

// Whether two titles are the same headline: equal but for case, spacing
// and punctuation, or one a clear prefix of the other (a truncated
// og:title).
bool SameTitle(const std::string& a, const std::string& b) {
  const std::string ca = Compact(a), cb = Compact(b);
  if (ca.empty() || cb.empty()) return false;
  if (ca == cb) return true;
  const std::string& shorter = ca.size() < cb.size() ? ca : cb;
  const std::string& longer = ca.size() < cb.size() ? cb : ca;
  return shorter.size() * 10 >= longer.size() * 6 && longer.starts_with(shorter);
}

// --- Dates ---

bool HasTimeOfDay(std::string_view text) { return text.find(':') != std::string_view::npos; }

struct Stamp {
  sdk::DateTime when;
  bool has_time = false;
};

std::optional<Stamp> ParseMachineDate(std::string_view text) {
  const std::string value = sdk::NormalizeSpace(text);
  if (value.empty()) return std::nullopt;
  if (auto iso = sdk::ParseIsoDateTime(value)) return Stamp{*iso, HasTimeOfDay(value)};
  if (auto rfc = sdk::ParseRfc822(value)) return Stamp{*rfc, HasTimeOfDay(value)};
  return std::nullopt;
}

std::optional<Stamp> ParseVisibleDate(std::string_view text, int64_t fetched_at_ms) {
  const std::string value = sdk::NormalizeSpace(text);
  if (value.empty() || CharCount(value) > 80) return std::nullopt;
  std::optional<int64_t> reference;
  if (fetched_at_ms > 0) reference = fetched_at_ms;
  if (auto date = sdk::ParseDate(value, reference)) return Stamp{*date, HasTimeOfDay(value)};
  return std::nullopt;
}

// A paragraph that is only a date ("Tuesday 10 October 2017"): a date
// line, not body text.
bool IsDateLine(std::string_view text) { return CharCount(text) <= 80 && sdk::ParseDate(text).has_value(); }

// A byline printed as a paragraph of its own ("By Jane Roe", "بقلم ...").
bool IsBylineParagraph(std::string_view text) {
  if (CharCount(text) > 60) return false;
  const std::string folded = sdk::FoldForMatching(text);
  for (std::string_view prefix : {"by ", "par ", "von ", "por ", "بقلم", "كتب ", "كتبت ", "اعداد "}) {
    if (folded.starts_with(prefix)) return true;
  }
  return false;
}

// `text` without its first `words` words and the colon after them
// ("Published: 12 August 2022" less one word is "12 August 2022"). Words
// are counted, not bytes, because folding may change the length of the
// label.
std::string DropWords(const std::string& text, size_t words) {
  size_t pos = 0;
  for (; words > 0 && pos < text.size(); --words) {
    pos = text.find_first_of(" :", pos);
    if (pos == std::string::npos) return "";
    pos = text.find_first_not_of(" :", pos);
    if (pos == std::string::npos) return "";
  }
  return sdk::NormalizeSpace(std::string_view(text).substr(pos));
}

// --- Datelines ---

struct Dateline {
  std::string text, location, agency;
};

// "Damascus - AFP": at most a few words each side of a spaced dash and no
// sentence punctuation.
std::optional<Dateline> AsDateline(const std::string& text) {
  if (text.empty() || CharCount(text) > 60) return std::nullopt;
  for (std::string_view p : {".", "!", "?", "\u061F", ":", "\"", "\u201C", "\u201D", ","}) {
    if (text.find(p) != std::string::npos) return std::nullopt;
  }
  size_t best = std::string::npos, best_length = 0;
  for (std::string_view dash : {" - ", " \u2013 ", " \u2014 "}) {
    const size_t at = text.find(dash);
    if (at < best) {
      best = at;
      best_length = dash.size();
    }
  }
  if (best == std::string::npos) return std::nullopt;
  Dateline d{text, sdk::NormalizeSpace(text.substr(0, best)), sdk::NormalizeSpace(text.substr(best + best_length))};
  if (d.location.empty() || d.agency.empty() || CountWords(d.location) > 4 || CountWords(d.agency) > 5) {
    return std::nullopt;
  }
  return d;
}

// --- The plugin ---

const char* const kKnownSettings[] = {"site_name", "body_selector"};

class Generic {
 public:
  explicit Generic(const sdk::Context& ctx) {
    const sdk::Settings settings = sdk::Settings::Parse(ctx.settings_json());
    for (const std::string& key : settings.Keys()) {
      if (std::find(std::begin(kKnownSettings), std::end(kKnownSettings), key) == std::end(kKnownSettings)) {
        throw std::invalid_argument("unknown plugin setting '" + key + "' (known: site_name, body_selector)");
      }
    }
    site_name_ = sdk::NormalizeSpace(settings.GetString("site_name"));
    const std::string selector = sdk::NormalizeSpace(settings.GetString("body_selector"));
    if (!selector.empty()) {
      std::string error;
      std::optional<std::string> xpath = sdk::CssToXPath(selector, &error);
      if (!xpath) throw std::invalid_argument("plugin setting 'body_selector' (\"" + selector + "\"): " + error);
      body_xpath_ = std::move(*xpath);
    }
  }

  void Process(const sdk::Page& page, sdk::Result& out) const {
    const sdk::Document doc = sdk::Document::Parse(page.html, page.url);
    const PageMeta meta = sdk::ReadMeta(doc);
    const std::vector<ArticleMetadata> ld_all = sdk::ReadJsonLd(doc);
    // A NewsArticle when the page has several article-like objects.
    ArticleMetadata ld;
    for (const ArticleMetadata& item : ld_all) {
      if (item.type.find("NewsArticle") != std::string::npos) {
        ld = item;
        break;
      }
    }
    if (ld.type.empty() && !ld_all.empty()) ld = ld_all.front();
    const std::vector<std::string> site_names = SiteNames(doc, meta);
    const std::string title = Title(doc, meta, ld, site_names);
    PageModel model = BuildModel(doc);
    const Candidate best = ScoreCandidates(model);
    const BodyResult body = ExtractBody(doc, model, best, site_names, title);

    const std::string og_type = Lower(MetaValue(meta.property, "og:type"));
    const bool metadata_says_article = !ld_all.empty() || og_type == "article" || og_type.starts_with("article:");
    // Density alone is fooled by a listing whose teasers are long: one
    // teaser then looks like a body. A listing shows itself by article
    // links in the body, or by article links around a "body" that holds
    // under a third of the main area's prose.
    const std::vector<std::string> articles = ListedArticles(doc, meta, model);
    const bool listing_like_body =
        body.article_links >= 3 && body.article_links * 2 >= static_cast<int>(body.paragraphs.size());
    const bool body_among_teasers = articles.size() >= 3 && body.chars * 3 < model.MainProseChars();
    const bool dense_body =
        (body.chars >= kSubstantialBodyChars ||
         (body.chars >= kSubstantialMultiParagraphChars && body.paragraphs.size() >= 2)) &&
        !listing_like_body && !body_among_teasers &&
        std::all_of(body.paragraphs.begin(), body.paragraphs.end(), [](const std::string& p) { return IsProse(p); });
    if (metadata_says_article || dense_body) {
      out.SetKind(sdk::PageKind::kArticle);
      ProcessArticle(page, doc, meta, ld, model, body, site_names, title, out);
      return;
    }
    const std::optional<std::string> next = NextPage(doc, meta);
    const bool pager = next.has_value() || HasPager(doc, model);
    // Two article links make a list; one does when a pager says this is a
    // page of a longer list (the last page of a section).
    if (articles.size() >= kMinListingArticles || (!articles.empty() && pager)) {
      out.SetKind(sdk::PageKind::kListing);
      for (const std::string& url : articles) out.AddArticle(url);
      if (next) out.SetNext(*next);
    } else {
      out.SetKind(sdk::PageKind::kOther);
    }
    AddFollowLinks(doc, model, out);
  }

 private:
  // Names the outlet goes by: the setting, og:site_name, application-name,
  // and the distinctive labels of the host ("almaghribtoday" of
  // en.almaghribtoday.test), all compacted.
  std::vector<std::string> SiteNames(const sdk::Document& doc, const PageMeta& meta) const {
    std::vector<std::string> names;
    const auto add = [&](std::string_view name) {
      std::string compact = Compact(name);
      if (CharCount(compact) >= 3 && std::find(names.begin(), names.end(), compact) == names.end()) {
        names.push_back(std::move(compact));
      }
    };
    add(site_name_);
    add(MetaValue(meta.property, "og:site_name"));
    add(MetaValue(meta.name, "application-name"));
    add(MetaValue(meta.name, "apple-mobile-web-app-title"));
    // Not the top-level domain, nor short or generic labels (www, en, co).
    const std::string host = sdk::HostOf(doc.url());
    std::vector<std::string_view> labels;
    for (size_t pos = 0; pos < host.size();) {
      size_t end = host.find('.', pos);
      if (end == std::string::npos) end = host.size();
      labels.push_back(std::string_view(host).substr(pos, end - pos));
      pos = end + 1;
    }
    for (size_t i = 0; i + 1 < labels.size(); ++i) {
      if (labels[i].size() >= 4 && labels[i] != "mobile" && labels[i] != "news") add(labels[i]);
    }
    // Longest first, so that "almaghribtoday" is not eaten as "almaghrib".
    std::sort(names.begin(), names.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    return names;
  }

  BodyResult ExtractBody(const sdk::Document& doc, const PageModel& model, const Candidate& best,
                         const std::vector<std::string>& site_names, const std::string& title) const {
    BodyResult result;
    if (!body_xpath_.empty()) {
      for (const sdk::Node& node : doc.Root().Select(body_xpath_)) {
        // A match inside another match would give its text twice.
        bool nested = false;
        for (const sdk::Node& earlier : result.nodes) {
          for (auto p = node.Parent(); p; p = p->Parent()) {
            if (*p == earlier) {
              nested = true;
              break;
            }
          }
          if (nested) break;
        }
        if (!nested) result.nodes.push_back(node);
      }
    }
    if (result.nodes.empty() && best.index >= 0) result.nodes = BodyNodes(model, best);
    const BodyNoise noise(title);
    const sdk::NodePredicate skip = noise;
    std::set<std::string> links;
    for (const sdk::Node& node : result.nodes) {
      // A sibling paragraph may itself be noise (a "Read also" insert).
      std::vector<std::string> paragraphs;
      if (!IsParagraphTag(node.Name()) || !noise(node)) paragraphs = node.Paragraphs(skip);
      // A line that is one link and nothing else ("Back to the archive")
      // is navigation, even where a <br> body makes it a paragraph.
      std::set<std::string> link_lines;
      for (const sdk::Node& a : node.Select(".//a")) link_lines.insert(Compact(a.Text()));
      for (std::string& p : paragraphs) {
        if (IsOnlySiteName(p, site_names) || link_lines.count(Compact(p)) != 0) continue;
        if (IsDateLine(p)) {
          if (result.paragraphs.empty() && result.leading_date.empty()) result.leading_date = p;
          continue;
        }
        // The headline and a byline may open a body whose container is
        // the whole article.
        if (result.paragraphs.empty() && !title.empty() && SameTitle(p, title)) continue;
        if (result.paragraphs.empty() && IsBylineParagraph(p)) {
          if (result.leading_byline.empty()) result.leading_byline = p;
          continue;
        }
        result.paragraphs.push_back(std::move(p));
      }
      for (const sdk::Node& a : node.Select(".//a[@href]")) {
        auto url = doc.Resolve(a.Attr("href"));
        if (url && SameSite(*url, doc.url()) && IsArticleUrl(*url) && *url != doc.url()) links.insert(*url);
      }
    }
    result.article_links = static_cast<int>(links.size());
    for (const std::string& p : result.paragraphs) result.chars += CharCount(p);
    return result;
  }

  void ProcessArticle(const sdk::Page& page, const sdk::Document& doc, const PageMeta& meta, const ArticleMetadata& ld,
                      const PageModel& model, BodyResult body, const std::vector<std::string>& site_names,
                      const std::string& title, sdk::Result& out) const {
    out.Set("title", title);

    // A dateline may open the body ("Damascus - AFP") or stand just before it.
    std::vector<std::string> paragraphs = std::move(body.paragraphs);
    std::optional<Dateline> dateline;
    if (!paragraphs.empty()) {
      dateline = AsDateline(paragraphs.front());
      if (dateline) paragraphs.erase(paragraphs.begin());
    }
    if (!dateline && !body.nodes.empty()) dateline = DatelineBefore(body.nodes.front());
    if (dateline) {
      out.Set("dateline", dateline->text);
      out.Set("location", dateline->location);
      out.Set("agency", dateline->agency);
    }
    std::string text = sdk::JoinParagraphs(paragraphs);
    if (text.empty() && !ld.body.empty()) text = LdBody(ld.body);
    out.Set("body", text);

    // Published and modified.
    if (auto published = Published(doc, meta, ld, model, body, page.fetched_at_ms)) {
      out.Set("published", published->ToIso());
    }
    std::optional<Stamp> modified = ParseMachineDate(ld.date_modified);
    if (!modified) modified = ParseMachineDate(MetaValue(meta.property, "article:modified_time"));
    if (!modified) modified = ParseMachineDate(MetaValue(meta.property, "og:updated_time"));
    if (!modified) modified = ParseMachineDate(MetaValue(meta.name, "itemprop:dateModified"));
    if (modified) out.Set("modified", modified->when.ToIso());

    for (const std::string& author : Authors(doc, meta, ld, site_names, body.leading_byline)) out.AddAuthor(author);

    std::string section_name = sdk::NormalizeSpace(ld.section);
    if (section_name.empty()) section_name = MetaValue(meta.property, "article:section");
    if (!section_name.empty()) {
      out.Set("section_name", section_name);
      out.Set("section", SectionSlug(doc, section_name));
    }

    out.Set("language", Language(meta, ld));

    std::optional<std::string> image;
    for (const std::string& candidate :
         {ld.image, MetaValue(meta.property, "og:image"), MetaValue(meta.property, "og:image:url"),
          MetaValue(meta.name, "twitter:image"), MetaValue(meta.name, "itemprop:image")}) {
      if (!candidate.empty() && (image = doc.Resolve(candidate))) break;
    }
    if (!image) {
      if (auto img = doc.SelectFirst("//img[@itemprop='image'][@src]")) image = doc.Resolve(img->Attr("src"));
    }
    if (image) out.Set("image", *image);

    std::optional<std::string> canonical;
    for (const std::string& candidate : {meta.canonical, MetaValue(meta.property, "og:url"), ld.url}) {
      if (!candidate.empty() && (canonical = doc.Resolve(candidate))) break;
    }
    if (canonical) out.Set("canonical_url", *canonical);
  }

  // JSON-LD articleBody as the SDK gives it (paragraphs separated by line
  // breaks), each paragraph normalized, in the record's body format.
  static std::string LdBody(const std::string& text) {
    std::vector<std::string> paragraphs;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      paragraphs.push_back(sdk::NormalizeSpace(std::string_view(text).substr(pos, end - pos)));
      pos = end + 1;
    }
    return sdk::JoinParagraphs(paragraphs);
  }

  // A dateline printed just before the body container ("<p
  // class=source>Damascus - AFP</p><div class=text>...").
  static std::optional<Dateline> DatelineBefore(const sdk::Node& body) {
    const std::vector<sdk::Node> before = body.Select("preceding-sibling::*[position() <= 2]");
    for (auto it = before.rbegin(); it != before.rend(); ++it) {  // nearest first
      const sdk::Node& sibling = *it;
      const std::string tag = sibling.Name();
      if (tag != "p" && tag != "div" && tag != "span") continue;
      if (auto d = AsDateline(sibling.Text())) return d;
    }
    return std::nullopt;
  }

  // The headline as shown: the h1 of the main content when metadata agrees
  // with it; otherwise JSON-LD headline, og:title (and twitter:title), then
  // an h1, then <title>, each without the site name.
  static std::string Title(const sdk::Document& doc, const PageMeta& meta, const ArticleMetadata& ld,
                           const std::vector<std::string>& site_names) {
    std::vector<std::string> meta_titles;  // strongest first
    for (const std::string& t : {ld.headline, MetaValue(meta.property, "og:title"),
                                 MetaValue(meta.name, "twitter:title"), MetaValue(meta.name, "itemprop:headline")}) {
      std::string stripped = StripSiteName(sdk::NormalizeSpace(t), site_names);
      if (!stripped.empty()) meta_titles.push_back(std::move(stripped));
    }
    const std::string title_tag = StripSiteName(sdk::NormalizeSpace(meta.title), site_names);
    // h1s of the main content first, then the others, each in page order.
    std::vector<std::string> headings, other_headings;
    for (const sdk::Node& h1 : doc.Select("//h1[not(ancestor::nav or ancestor::aside or ancestor::footer or "
                                          "ancestor::form)]")) {
      std::string text = h1.Text();
      if (text.empty() || CharCount(text) > 300 || IsOnlySiteName(text, site_names)) continue;
      const bool in_main = h1.SelectFirst("ancestor::main | ancestor::article | ancestor::*[@role='main']").has_value();
      (in_main ? headings : other_headings).push_back(std::move(text));
    }
    headings.insert(headings.end(), other_headings.begin(), other_headings.end());
    for (const std::string& heading : headings) {
      for (const std::string& t : meta_titles) {
        if (SameTitle(heading, t)) return heading;
      }
      if (SameTitle(heading, title_tag)) return heading;
    }
    if (!meta_titles.empty()) return meta_titles.front();
    if (!headings.empty()) return headings.front();
    return title_tag;
  }

  // JSON-LD datePublished, then meta tags, then <time> elements of the main
  // content, then visible stamps in elements named like dates. A date
  // without a time of day is completed from a <time> element that carries
  // the same date in its datetime and shows the time in its text (CMSs that
  // print "Last Updated : GMT 09:03:51" under <time datetime=2013-06-05>).
  static std::optional<sdk::DateTime> Published(const sdk::Document& doc, const PageMeta& meta,
                                                const ArticleMetadata& ld, const PageModel& model,
                                                const BodyResult& body, int64_t fetched_at_ms) {
    std::optional<Stamp> stamp = ParseMachineDate(ld.date_published);
    for (std::string_view key :
         {"article:published_time", "og:published_time", "og:article:published_time", "article:published"}) {
      if (stamp) break;
      stamp = ParseMachineDate(MetaValue(meta.property, key));
    }
    for (std::string_view key :
         {"itemprop:datePublished", "pubdate", "publishdate", "publish-date", "publication_date",
          "article:published_time", "date", "dc.date", "dc.date.issued", "dcterms.created", "dcterms.date",
          "sailthru.date", "parsely-pub-date", "article.published", "original-publish-date"}) {
      if (stamp) break;
      stamp = ParseMachineDate(MetaValue(meta.name, key));
    }
    if (!stamp) {
      for (const char* xpath :
           {"//time[@itemprop='datePublished' or @pubdate]", "//*[@itemprop='datePublished'][@datetime or @content]"}) {
        for (const sdk::Node& node : doc.Select(xpath)) {
          stamp = ParseMachineDate(node.HasAttr("datetime") ? node.Attr("datetime") : node.Attr("content"));
          if (!stamp) stamp = ParseVisibleDate(node.Text(), fetched_at_ms);
          if (stamp) break;
        }
        if (stamp) break;
      }
    }
    if (!stamp) stamp = DateInContent(model, fetched_at_ms);
    if (!stamp) stamp = ParseVisibleDate(body.leading_date, fetched_at_ms);
    if (!stamp) stamp = DateBeforeBody(model, body, fetched_at_ms);
    if (!stamp) return std::nullopt;
    if (!stamp->has_time) {
      for (const sdk::Node& time : doc.Select("//time[@datetime]")) {
        auto date = ParseMachineDate(time.Attr("datetime"));
        if (!date || date->has_time || date->when != stamp->when) continue;
        if (auto of_day = sdk::ParseTimeOfDay(time.Text())) return stamp->when.WithTime(*of_day);
        if (auto visible = ParseVisibleDate(time.Text(), 0);
            visible && visible->has_time && visible->when.year == stamp->when.year &&
            visible->when.month == stamp->when.month && visible->when.day == stamp->when.day) {
          return visible->when;
        }
      }
    }
    return stamp->when;
  }

  // The first <time> of the main content, else the first element named
  // like a date (class or id with date, time, publish, posted, timestamp)
  // whose text reads as one.
  static std::optional<Stamp> DateInContent(const PageModel& model, int64_t fetched_at_ms) {
    for (const Element& e : model.elements) {
      if (!model.InMainArea(e) || e.tag != "time") continue;
      if (auto stamp = ParseMachineDate(e.node.Attr("datetime"))) return stamp;
      if (auto stamp = ParseVisibleDate(e.node.Text(), fetched_at_ms)) return stamp;
    }
    for (const Element& e : model.elements) {
      if (!model.InMainArea(e) || e.text_chars == 0 || e.text_chars > 80) continue;
      std::string joined;
      for (const std::string& token : HintTokens(e.node)) joined += token + " ";
      bool dated = false;
      for (std::string_view word : {"date", "time", "publish", "posted", "timestamp", "dateline"}) {
        if (joined.find(word) != std::string::npos) dated = true;
      }
      if (!dated) continue;
      if (auto stamp = ParseVisibleDate(e.node.Text(), fetched_at_ms)) return stamp;
    }
    return std::nullopt;
  }

  // A stamp printed between the headline and the body ("Published 12
  // August 2022, 09:30"): a short line of the main area before the body,
  // with a publication label or none. Only before the body, because after
  // it come the dates of related and most-read lists; and never a line
  // labelled as an update.
  static std::optional<Stamp> DateBeforeBody(const PageModel& model, const BodyResult& body, int64_t fetched_at_ms) {
    if (body.nodes.empty()) return std::nullopt;
    for (const Element& e : model.elements) {
      if (e.node == body.nodes.front()) break;
      if (!model.InMainArea(e) || e.in_link || e.text_chars == 0 || e.text_chars > 80) continue;
      if (!e.node.Select("*[not(self::time or self::span or self::b or self::strong or self::em or self::i)]")
               .empty()) {
        continue;  // a block of blocks; its children come next
      }
      std::string text = sdk::NormalizeSpace(e.node.Text());
      const std::string folded = sdk::FoldForMatching(text);
      if (folded.find("updated") != std::string::npos || folded.find("تحديث") != std::string::npos) continue;
      for (std::string_view label : {"published on", "published", "posted on", "posted", "first published", "date",
                                     "on", "نشر في", "نشر بتاريخ", "تاريخ النشر", "نشر", "بتاريخ"}) {
        if (folded.starts_with(label) &&
            (folded.size() == label.size() || folded[label.size()] == ' ' || folded[label.size()] == ':')) {
          text = DropWords(text, CountWords(label));
          break;
        }
      }
      if (auto stamp = ParseVisibleDate(text, fetched_at_ms)) return stamp;
    }
    return std::nullopt;
  }

  // JSON-LD authors, then meta author / article:author (names, not profile
  // URLs), then bylines on the page (rel=author, itemprop=author, elements
  // named byline or author), without a leading "By".
  static std::vector<std::string> Authors(const sdk::Document& doc, const PageMeta& meta, const ArticleMetadata& ld,
                                          const std::vector<std::string>& site_names,
                                          const std::string& leading_byline) {
    std::vector<std::string> authors;
    const auto add = [&](std::string name) {
      name = sdk::NormalizeSpace(name);
      // "By Jane Roe", "بقلم: فلان": the first word is no part of the name.
      const size_t cut = name.find_first_of(" :");
      if (cut != std::string::npos) {
        const std::string first = sdk::FoldForMatching(name.substr(0, cut));
        for (std::string_view word : {"by", "par", "von", "por", "بقلم", "كتب", "كتبت", "اعداد"}) {
          if (first == word) {
            name = sdk::NormalizeSpace(name.substr(cut));
            if (name.starts_with(":")) name = sdk::NormalizeSpace(name.substr(1));
            break;
          }
        }
      }
      if (name.empty() || CharCount(name) > 80 || name.find("://") != std::string::npos ||
          IsOnlySiteName(name, site_names)) {
        return;
      }
      for (const std::string& a : authors) {
        if (Compact(a) == Compact(name)) return;
      }
      authors.push_back(std::move(name));
    };
    for (const std::string& a : ld.authors) add(a);
    if (!authors.empty()) return authors;
    add(MetaValue(meta.name, "author"));
    add(MetaValue(meta.property, "article:author"));
    add(MetaValue(meta.name, "dc.creator"));
    add(MetaValue(meta.name, "sailthru.author"));
    add(MetaValue(meta.name, "parsely-author"));
    if (!authors.empty()) return authors;
    for (const sdk::Node& node :
         doc.Select("//*[@rel='author' or @itemprop='author'][not(ancestor::aside or ancestor::footer or "
                    "ancestor::nav or ancestor::form)]")) {
      if (auto name = node.SelectFirst(".//*[@itemprop='name']")) {
        add(name->HasAttr("content") ? name->Attr("content") : name->Text());
      } else {
        add(node.Text());
      }
    }
    if (!authors.empty()) return authors;
    for (const sdk::Node& node :
         doc.Select("//*[contains(translate(@class, 'BYLINEAUTHOR', 'bylineauthor'), 'byline') or "
                    "contains(translate(@class, 'BYLINEAUTHOR', 'bylineauthor'), 'author')][not(ancestor::aside "
                    "or ancestor::footer or ancestor::nav or ancestor::form)]")) {
      const std::string text = node.Text();
      if (!text.empty() && CharCount(text) <= 80 && !node.SelectFirst(".//p | .//div")) {
        add(text);
        break;
      }
    }
    if (authors.empty()) add(leading_byline);
    return authors;
  }

  // The section slug: the last path segment of a same-site link whose text
  // is the section's name (the nav's "Arab World" -> /news/arab-world/).
  static std::string SectionSlug(const sdk::Document& doc, const std::string& section_name) {
    const std::string wanted = Compact(section_name);
    for (const sdk::Node& a : doc.Select("//a[@href]")) {
      if (Compact(a.Text()) != wanted) continue;
      auto url = doc.Resolve(a.Attr("href"));
      if (!url || !SameSite(*url, doc.url())) continue;
      const std::string path = sdk::PathOf(*url);
      const std::vector<std::string_view> segments = Segments(path);
      if (segments.empty()) continue;
      const std::string slug = Lower(segments.back());
      const bool slug_like = std::all_of(slug.begin(), slug.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || IsAsciiDigit(c) || c == '-' || c == '_' || c == '%';
      });
      if (slug_like && !slug.empty()) return slug;
    }
    return "";
  }

  // The primary language subtag ("en" of "en-US", "ar" of og:locale ar_AR).
  static std::string Language(const PageMeta& meta, const ArticleMetadata& ld) {
    for (const std::string& value : {ld.language, meta.language, MetaValue(meta.property, "og:locale"),
                                     MetaValue(meta.name, "content-language"), MetaValue(meta.name, "language")}) {
      std::string lang = Lower(sdk::NormalizeSpace(value));
      const size_t cut = lang.find_first_of("-_ ,;");
      if (cut != std::string::npos) lang.resize(cut);
      const bool valid = lang.size() >= 2 && lang.size() <= 3 &&
                         std::all_of(lang.begin(), lang.end(), [](char c) { return c >= 'a' && c <= 'z'; });
      if (valid) return lang;
    }
    return "";
  }

  // Article links of a listing, in document order without duplicates:
  // same-site links of article shape in the main area (<main> or
  // role=main when the page has one, else the body), outside furniture
  // and outside blocks named as related, most-read, widgets and the like.
  static std::vector<std::string> ListedArticles(const sdk::Document& doc, const PageMeta& meta,
                                                 const PageModel& model) {
    std::set<std::string> self = {doc.url()};
    if (auto canonical = doc.Resolve(meta.canonical)) self.insert(*canonical);
    std::vector<std::string> articles;
    std::set<std::string> seen;
    for (const Element& e : model.elements) {
      if (e.tag != "a" || !model.InMainArea(e)) continue;
      auto url = doc.Resolve(e.node.Attr("href"));
      if (!url || self.count(*url) != 0 || !SameSite(*url, doc.url()) || !IsArticleUrl(*url)) continue;
      if (seen.insert(*url).second) articles.push_back(*url);
    }
    return articles;
  }

  static bool IsDisabled(const sdk::Node& link) {
    if (Lower(link.Attr("aria-disabled")) == "true" || link.HasClass("disabled")) return true;
    int depth = 0;
    for (auto p = link.Parent(); p && depth < 2; p = p->Parent(), ++depth) {
      if (p->HasClass("disabled") || Lower(p->Attr("aria-disabled")) == "true") return true;
    }
    return false;
  }

  // Whether a link text says "next page": a word for it (English, Arabic,
  // French, Spanish, German), possibly with arrows, or arrows alone.
  static bool IsNextText(const std::string& text) {
    const std::string folded = sdk::FoldForMatching(text);
    if (folded.find("prev") != std::string::npos || folded.find("السابق") != std::string::npos ||
        folded.find("\u00AB") != std::string::npos || folded.find("\u2039") != std::string::npos) {
      return false;
    }
    std::string words;
    for (size_t pos = 0; pos < folded.size();) {
      const size_t start = pos;
      const char32_t cp = DecodeAt(folded, pos);
      if (!IsPunctuation(cp) || cp == ' ') words.append(folded, start, pos - start);
    }
    words = sdk::NormalizeSpace(words);
    if (words.empty()) {
      for (std::string_view arrow : {"\u00BB", "\u203A", ">", ">>", "\u2192", "\u276F"}) {
        if (sdk::NormalizeSpace(folded) == arrow) return true;
      }
      return false;
    }
    for (std::string_view word :
         {"next", "next page", "older", "older posts", "older entries", "التالي", "الصفحه التاليه", "التاليه",
          "suivant", "page suivante", "siguiente", "weiter", "nachste", "nächste"}) {
      if (words == word) return true;
    }
    return false;
  }

  // rel=next (head or body), else a pager link that says "next"; never a
  // disabled control, "#", or the page itself.
  static std::optional<std::string> NextPage(const sdk::Document& doc, const PageMeta& meta) {
    std::set<std::string> self = {doc.url()};
    if (auto canonical = doc.Resolve(meta.canonical)) self.insert(*canonical);
    const auto usable = [&](const sdk::Node& link) -> std::optional<std::string> {
      if (IsDisabled(link)) return std::nullopt;
      auto url = doc.Resolve(link.Attr("href"));
      if (!url || self.count(*url) != 0 || !SameSite(*url, doc.url())) return std::nullopt;
      return url;
    };
    const std::string rel_next =
        "[@href][contains(concat(' ', normalize-space(translate(@rel, 'NEXT', 'next')), ' '), ' next ')]";
    for (const sdk::Node& link : doc.Select("//link" + rel_next + " | //a" + rel_next)) {
      if (auto url = usable(link)) return url;
    }
    for (const sdk::Node& link : doc.Select("//a[@href]")) {
      const std::string text = link.Text();
      if (text.empty() || CharCount(text) > 30 || !IsNextText(text)) continue;
      if (auto url = usable(link)) return url;
    }
    return std::nullopt;
  }

  // A pager: rel=prev or an element named pagination or pager.
  static bool HasPager(const sdk::Document& doc, const PageModel& model) {
    if (doc.SelectFirst("//link[contains(concat(' ', normalize-space(translate(@rel, 'PREV', 'prev')), ' '), "
                        "' prev ')]")) {
      return true;
    }
    for (const Element& e : model.elements) {
      for (const std::string& token : HintTokens(e.node)) {
        if (token == "pagination" || token == "pager" || token == "pages") return true;
      }
    }
    return false;
  }

  // Feeds the page announces, and the same-site listing pages its
  // navigation leads to, so that a crawl from one listing reaches the
  // others.
  static void AddFollowLinks(const sdk::Document& doc, const PageModel& model, sdk::Result& out) {
    std::set<std::string> seen;
    for (const sdk::Node& link :
         doc.Select("//link[@href][contains(translate(@rel, 'ALTERNATE', 'alternate'), 'alternate')]"
                    "[contains(@type, 'rss') or contains(@type, 'atom')]")) {
      auto url = doc.Resolve(link.Attr("href"));
      if (url && SameSite(*url, doc.url()) && seen.insert(*url).second) out.AddLink(*url, sdk::LinkKind::kFeed);
    }
    for (const Element& e : model.elements) {
      if (e.tag != "nav") continue;
      for (const sdk::Node& a : e.node.Select(".//a[@href]")) {
        auto url = doc.Resolve(a.Attr("href"));
        if (!url || *url == doc.url() || !SameSite(*url, doc.url()) || IsArticleUrl(*url)) continue;
        const std::string path = sdk::PathOf(*url);
        const std::vector<std::string_view> segments = Segments(path);
        if (std::any_of(segments.begin(), segments.end(),
                        [](std::string_view s) { return IsNonArticleSegment(s) && Lower(s) != "page"; })) {
          continue;
        }
        if (seen.insert(*url).second) out.AddLink(*url, sdk::LinkKind::kListing);
      }
    }
  }

  std::string site_name_;
  std::string body_xpath_;  // from body_selector; empty when not set
};

}  // namespace

NEWSHOUND_PLUGIN(Generic, "generic", "1.0.0",
                 "Any news site without a plugin of its own: metadata first, then content-density heuristics")

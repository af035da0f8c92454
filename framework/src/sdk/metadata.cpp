#include "newshound/plugin/metadata.h"

#include <libxml/HTMLparser.h>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "newshound/plugin/text.h"
#include "utf8.h"

namespace newshound::sdk {
namespace json = boost::json;
namespace {

// Bounds the memory one page's JSON-LD can take; real blocks, article
// bodies included, are a few hundred KiB at most.
constexpr size_t kMaxJsonLdBytes = 4 * 1024 * 1024;
// JSON-LD nests a few levels; the bound keeps the recursive walks shallow.
constexpr unsigned kMaxJsonDepth = 64;

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < s.size()) {
    while (pos < s.size() && IsAsciiSpace(s[pos])) ++pos;
    size_t end = pos;
    while (end < s.size() && !IsAsciiSpace(s[end])) ++end;
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

// --- HTML entities in JSON-LD strings ---

// HTML maps character references to C1 controls onto the Windows-1252
// characters at those positions, because that is what old CMSs meant by
// "&#146;". 0 leaves the code point as it is.
constexpr char32_t kWindows1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

// The character a reference such as "amp", "#39" or "#x2019" (without '&'
// and ';') stands for, or nullopt when it is not one.
std::optional<char32_t> ReferenceValue(std::string_view ref) {
  if (ref.empty()) return std::nullopt;
  if (ref[0] == '#') {
    ref.remove_prefix(1);
    int base = 10;
    if (!ref.empty() && (ref[0] == 'x' || ref[0] == 'X')) {
      base = 16;
      ref.remove_prefix(1);
    }
    if (ref.empty()) return std::nullopt;
    uint32_t value = 0;
    for (char c : ref) {
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (base == 16 && ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {
        digit = (c | 0x20) - 'a' + 10;
      } else {
        return std::nullopt;
      }
      value = value * base + digit;
      if (value > 0x10FFFF) value = 0x110000;  // stays out of range without overflowing
    }
    if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0xFFFD;
    if (value >= 0x80 && value <= 0x9F && kWindows1252[value - 0x80] != 0) return kWindows1252[value - 0x80];
    return value;
  }
  for (char c : ref) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return std::nullopt;
  }
  const std::string name(ref);
  if (const htmlEntityDesc* entity = htmlEntityLookup(reinterpret_cast<const xmlChar*>(name.c_str()))) {
    return entity->value;
  }
  return std::nullopt;
}

// Decodes character references that end in ';'. Others ("AT&T", "&foo;")
// stay as written, since a bare '&' is far more often meant literally.
std::string DecodeEntities(std::string_view s) {
  constexpr size_t kMaxReferenceLength = 32;  // longer than any named reference
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t amp = s.find('&', pos);
    if (amp == std::string_view::npos) break;
    out.append(s.substr(pos, amp - pos));
    const size_t semi = s.substr(amp, kMaxReferenceLength).find(';');
    std::optional<char32_t> value;
    if (semi != std::string_view::npos) value = ReferenceValue(s.substr(amp + 1, semi - 1));
    if (value) {
      internal::AppendUtf8(out, *value);
      pos = amp + semi + 1;
    } else {
      out += '&';
      pos = amp + 1;
    }
  }
  out.append(s.substr(pos));
  return out;
}

// Whether a JSON-LD string holds HTML markup ("<p>", "</b>", "<br/>")
// rather than text that merely contains '<' ("profits <5%").
bool LooksLikeMarkup(std::string_view s) {
  for (size_t pos = s.find('<'); pos != std::string_view::npos; pos = s.find('<', pos + 1)) {
    size_t name = pos + 1;
    if (name < s.size() && s[name] == '/') ++name;
    if (name < s.size() && ((s[name] | 0x20) >= 'a' && (s[name] | 0x20) <= 'z') &&
        s.find('>', name) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

std::string CleanText(std::string_view raw) {
  if (LooksLikeMarkup(raw)) return Document::Parse(raw, "").Root().Text();
  return NormalizeSpace(DecodeEntities(raw));
}

std::string CleanBody(std::string_view raw) {
  std::string decoded;
  if (!LooksLikeMarkup(raw)) {
    decoded = DecodeEntities(raw);
    // A body that is HTML escaped once more ("&lt;p&gt;") is still HTML.
    if (!LooksLikeMarkup(decoded)) {
      std::vector<std::string> paragraphs;
      size_t pos = 0;
      while (pos <= decoded.size()) {
        size_t end = decoded.find_first_of("\r\n", pos);
        if (end == std::string::npos) end = decoded.size();
        paragraphs.push_back(NormalizeSpace(std::string_view(decoded).substr(pos, end - pos)));
        pos = end + 1;
      }
      return JoinParagraphs(paragraphs);
    }
    raw = decoded;
  }
  return JoinParagraphs(Document::Parse(raw, "").Root().Paragraphs());
}

// --- JSON-LD ---

// Objects of one block by "@id", so that {"@id": "#author"} can be read
// through to the object it names.
using IdIndex = std::unordered_map<std::string_view, const json::object*>;

std::string_view IdOf(const json::object& object) {
  const json::value* id = object.if_contains("@id");
  return id != nullptr && id->is_string() ? std::string_view(id->get_string()) : std::string_view();
}

void IndexIds(const json::value& value, unsigned depth, IdIndex* index) {
  if (depth > kMaxJsonDepth) return;
  if (value.is_array()) {
    for (const json::value& item : value.get_array()) IndexIds(item, depth + 1, index);
  } else if (value.is_object()) {
    const json::object& object = value.get_object();
    // A bare reference is not a definition.
    if (const std::string_view id = IdOf(object); !id.empty() && object.size() > 1) index->emplace(id, &object);
    for (const auto& member : object) IndexIds(member.value(), depth + 1, index);
  }
}

struct Block {
  const Document* doc;
  IdIndex ids;
};

// The member `key` of `object`, or of the object its @id names when it
// has none itself.
const json::value* Field(const json::object& object, std::string_view key, const Block& block) {
  if (const json::value* value = object.if_contains(key); value != nullptr && !value->is_null()) return value;
  if (const std::string_view id = IdOf(object); !id.empty()) {
    if (auto it = block.ids.find(id); it != block.ids.end() && it->second != &object) {
      if (const json::value* value = it->second->if_contains(key); value != nullptr && !value->is_null()) {
        return value;
      }
    }
  }
  return nullptr;
}

// A string value as written: a string, a JSON-LD value object
// {"@value": ...}, or the first of a list that gives one.
std::string_view RawString(const json::value* value, const Block& block, unsigned depth = 0) {
  if (value == nullptr || depth > 2) return {};
  if (value->is_string()) return value->get_string();
  if (value->is_object()) return RawString(Field(value->get_object(), "@value", block), block, depth + 1);
  if (value->is_array()) {
    for (const json::value& item : value->get_array()) {
      if (std::string_view s = RawString(&item, block, depth + 1); !Trim(s).empty()) return s;
    }
  }
  return {};
}

std::string Text(const json::value* value, const Block& block) { return CleanText(RawString(value, block)); }

std::string Url(std::string_view raw, const Block& block) {
  const std::string text = CleanText(raw);
  if (text.empty()) return "";
  return block.doc->Resolve(text).value_or("");
}

// A URL given as a string or as an object with one of `keys`; the first
// that resolves, for a list.
std::string UrlOf(const json::value* value, std::initializer_list<std::string_view> keys, const Block& block,
                  unsigned depth = 0) {
  if (value == nullptr || depth > 2) return "";
  if (value->is_string()) return Url(value->get_string(), block);
  if (value->is_array()) {
    for (const json::value& item : value->get_array()) {
      if (std::string url = UrlOf(&item, keys, block, depth + 1); !url.empty()) return url;
    }
  } else if (value->is_object()) {
    for (std::string_view key : keys) {
      if (std::string url = UrlOf(Field(value->get_object(), key, block), keys, block, depth + 1); !url.empty()) {
        return url;
      }
    }
  }
  return "";
}

// The schema.org type name of an @type value: "NewsArticle" from
// "NewsArticle", "schema:NewsArticle" or "https://schema.org/NewsArticle".
std::string_view LocalTypeName(std::string_view type) {
  type = Trim(type);
  if (const size_t cut = type.find_last_of("/:#"); cut != std::string_view::npos) type.remove_prefix(cut + 1);
  return type;
}

bool IsArticleType(std::string_view type) {
  constexpr std::string_view kArticle = "Article";
  if (type.size() >= kArticle.size() && type.substr(type.size() - kArticle.size()) == kArticle) return true;
  return type == "BlogPosting" || type == "LiveBlogPosting" || type == "SocialMediaPosting" ||
         type == "DiscussionForumPosting" || type == "Report";
}

// The first article-like @type of the object, or "".
std::string ArticleType(const json::object& object) {
  const json::value* type = object.if_contains("@type");
  if (type == nullptr) return "";
  if (type->is_string()) {
    const std::string_view name = LocalTypeName(type->get_string());
    return IsArticleType(name) ? std::string(name) : "";
  }
  if (type->is_array()) {
    for (const json::value& item : type->get_array()) {
      if (!item.is_string()) continue;
      if (const std::string_view name = LocalTypeName(item.get_string()); IsArticleType(name)) {
        return std::string(name);
      }
    }
  }
  return "";
}

void AddUnique(std::string value, std::vector<std::string>* out) {
  if (value.empty()) return;
  for (const std::string& existing : *out) {
    if (existing == value) return;
  }
  out->push_back(std::move(value));
}

void ReadAuthors(const json::value* value, const Block& block, unsigned depth, std::vector<std::string>* out) {
  if (value == nullptr || depth > 2) return;
  if (value->is_string()) {
    AddUnique(CleanText(value->get_string()), out);
  } else if (value->is_array()) {
    for (const json::value& item : value->get_array()) ReadAuthors(&item, block, depth + 1, out);
  } else if (value->is_object()) {
    const json::object& person = value->get_object();
    std::string name = Text(Field(person, "name", block), block);
    if (name.empty()) {
      name = NormalizeSpace(Text(Field(person, "givenName", block), block) + " " +
                            Text(Field(person, "familyName", block), block));
    }
    AddUnique(std::move(name), out);
  }
}

void ReadKeywords(const json::value* value, const Block& block, unsigned depth, std::vector<std::string>* out) {
  if (value == nullptr || depth > 2) return;
  if (value->is_string()) {
    const std::string_view list = value->get_string();
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t end = list.find(',', pos);
      if (end == std::string_view::npos) end = list.size();
      AddUnique(CleanText(list.substr(pos, end - pos)), out);
      pos = end + 1;
    }
  } else if (value->is_array()) {
    for (const json::value& item : value->get_array()) ReadKeywords(&item, block, depth + 1, out);
  } else if (value->is_object()) {
    AddUnique(Text(Field(value->get_object(), "name", block), block), out);  // a DefinedTerm
  }
}

ArticleMetadata ReadArticle(const json::object& object, std::string type, const Block& block) {
  ArticleMetadata article;
  article.type = std::move(type);
  article.headline = Text(Field(object, "headline", block), block);
  if (article.headline.empty()) article.headline = Text(Field(object, "name", block), block);
  article.description = Text(Field(object, "description", block), block);
  article.date_published = Text(Field(object, "datePublished", block), block);
  article.date_modified = Text(Field(object, "dateModified", block), block);
  article.section = Text(Field(object, "articleSection", block), block);
  const json::value* body = Field(object, "articleBody", block);
  if (body == nullptr) body = Field(object, "text", block);
  article.body = CleanBody(RawString(body, block));
  article.image = UrlOf(Field(object, "image", block), {"url", "contentUrl"}, block);
  article.url = UrlOf(Field(object, "url", block), {}, block);
  if (article.url.empty()) article.url = UrlOf(Field(object, "mainEntityOfPage", block), {"@id", "url"}, block);
  const json::value* language = Field(object, "inLanguage", block);
  article.language = Text(language, block);
  if (article.language.empty() && language != nullptr && language->is_object()) {
    article.language = Text(Field(language->get_object(), "alternateName", block), block);
    if (article.language.empty()) article.language = Text(Field(language->get_object(), "name", block), block);
  }
  ReadAuthors(Field(object, "author", block), block, 0, &article.authors);
  ReadKeywords(Field(object, "keywords", block), block, 0, &article.keywords);
  return article;
}

void CollectArticles(const json::value& value, const Block& block, unsigned depth, std::set<std::string_view>* seen,
                     std::vector<ArticleMetadata>* out) {
  if (depth > kMaxJsonDepth) return;
  if (value.is_array()) {
    for (const json::value& item : value.get_array()) CollectArticles(item, block, depth + 1, seen, out);
    return;
  }
  if (!value.is_object()) return;
  const json::object& object = value.get_object();
  if (std::string type = ArticleType(object); !type.empty()) {
    // The same article may be given whole twice (in @graph and as a
    // page's mainEntity); report it once.
    const std::string_view id = IdOf(object);
    if (id.empty() || seen->insert(id).second) out->push_back(ReadArticle(object, std::move(type), block));
  }
  if (const json::value* graph = object.if_contains("@graph")) CollectArticles(*graph, block, depth + 1, seen, out);
  if (const json::value* main = object.if_contains("mainEntity")) CollectArticles(*main, block, depth + 1, seen, out);
}

// Strips what CMSs wrap JSON-LD in to hide it from old parsers: HTML
// comment and CDATA markers, and a trailing ';'.
std::string_view Unwrap(std::string_view text) {
  constexpr std::string_view kPrefixes[] = {"<!--", "//<![CDATA[", "/*<![CDATA[*/", "<![CDATA["};
  constexpr std::string_view kSuffixes[] = {"-->", "//]]>", "/*]]>*/", "]]>", ";"};
  for (bool changed = true; changed;) {
    changed = false;
    text = Trim(text);
    for (std::string_view prefix : kPrefixes) {
      if (text.substr(0, prefix.size()) == prefix) {
        text.remove_prefix(prefix.size());
        changed = true;
      }
    }
    text = Trim(text);
    for (std::string_view suffix : kSuffixes) {
      if (text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix) {
        text.remove_suffix(suffix.size());
        changed = true;
      }
    }
  }
  return text;
}

bool IsJsonLdScript(const Node& script) {
  const std::string attr = script.Attr("type");
  std::string_view type = attr;
  if (const size_t semi = type.find(';'); semi != std::string_view::npos) type = type.substr(0, semi);
  return AsciiLower(Trim(type)) == "application/ld+json";
}

}  // namespace

std::vector<ArticleMetadata> ReadJsonLd(const Document& doc) {
  std::vector<ArticleMetadata> out;
  for (const Node& script : doc.Select("//script[@type]")) {
    if (!IsJsonLdScript(script)) continue;
    std::string text;
    // The text nodes as written, whitespace normalized: a script's content
    // is one or more text nodes, and Node::Text() of the element skips it.
    for (const Node& piece : script.Select("text()")) {
      text += piece.Text();
      if (text.size() > kMaxJsonLdBytes) break;
    }
    if (text.size() > kMaxJsonLdBytes) continue;
    json::parse_options options;
    options.allow_comments = true;
    options.allow_trailing_commas = true;
    options.max_depth = kMaxJsonDepth;
    boost::system::error_code error;
    const json::value value = json::parse(Unwrap(text), error, json::storage_ptr(), options);
    if (error) continue;
    Block block{&doc, {}};
    IndexIds(value, 0, &block.ids);
    std::set<std::string_view> seen;
    CollectArticles(value, block, 0, &seen, &out);
  }
  return out;
}

PageMeta ReadMeta(const Document& doc) {
  PageMeta meta;
  for (const Node& node : doc.Select("//meta | //time[@itemprop] | //link[@itemprop][@href]")) {
    const std::string element = node.Name();
    std::string value;
    if (element == "meta") {
      value = NormalizeSpace(node.Attr("content"));
    } else if (element == "time") {
      value = NormalizeSpace(node.HasAttr("datetime") ? node.Attr("datetime") : node.Text());
    } else {
      value = doc.Resolve(node.Attr("href")).value_or("");
    }
    if (value.empty()) continue;
    if (element == "meta") {
      // emplace keeps the first value of a key.
      if (const std::string key = AsciiLower(Trim(node.Attr("property"))); !key.empty()) {
        meta.property.emplace(key, value);
      }
      if (const std::string key = AsciiLower(Trim(node.Attr("name"))); !key.empty()) meta.name.emplace(key, value);
    }
    const std::string itemprop = node.Attr("itemprop");
    for (std::string_view key : SplitSpaces(itemprop)) meta.name.emplace("itemprop:" + AsciiLower(key), value);
  }
  for (const Node& link : doc.Select("//link[@rel][@href]")) {
    const std::string rel = AsciiLower(link.Attr("rel"));
    bool canonical = false;
    for (std::string_view token : SplitSpaces(rel)) canonical = canonical || token == "canonical";
    if (!canonical) continue;
    if (auto url = doc.Resolve(link.Attr("href"))) {
      meta.canonical = std::move(*url);
      break;
    }
  }
  if (auto title = doc.SelectFirst("//title[not(ancestor::svg)]")) meta.title = title->Text();
  if (auto html = doc.SelectFirst("/html")) {
    meta.language = NormalizeSpace(html->Attr("lang"));
    if (meta.language.empty()) meta.language = NormalizeSpace(html->Attr("xml:lang"));
  }
  return meta;
}

}  // namespace newshound::sdk

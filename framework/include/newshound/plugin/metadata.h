// newshound plugin SDK: the metadata pages declare about themselves, for
// generic extractors and as a fallback when a site's markup changes.
//
//   auto doc = newshound::sdk::Document::Parse(page.html, page.url);
//   for (const auto& article : ReadJsonLd(doc)) ...
//   const PageMeta meta = ReadMeta(doc);
//   auto it = meta.property.find("og:title");
//
// Both readers are total: markup or JSON they cannot read is skipped, never
// thrown about. Text values are normalized as NormalizeSpace does, with
// HTML entities decoded; URL values are absolute http(s) URLs resolved
// against Document::base_url(), or "" when they cannot be.
//
// Thread safety: free functions; the Document rules of html.h apply.
#ifndef NEWSHOUND_PLUGIN_METADATA_H_
#define NEWSHOUND_PLUGIN_METADATA_H_

#include <map>
#include <string>
#include <vector>

#include "newshound/plugin/html.h"

namespace newshound::sdk {

// One article-like schema.org object from JSON-LD: Article or any type
// whose name ends in "Article" (NewsArticle, ReportageNewsArticle, ...),
// BlogPosting, LiveBlogPosting, SocialMediaPosting, DiscussionForumPosting
// or Report. Absent values are "" or empty.
struct ArticleMetadata {
  std::string type;            // the matching @type without its prefix: "NewsArticle"
  std::string headline;        // headline, else name
  std::string description;     // description
  std::string date_published;  // datePublished, as written (parse with date.h)
  std::string date_modified;   // dateModified, as written
  std::string section;         // articleSection (the first, when a list)
  // articleBody (else text): paragraphs joined by a blank line, as
  // JoinParagraphs does; line breaks in the value and HTML markup in it
  // (<p>, <br>) separate paragraphs.
  std::string body;
  std::string image;     // image: a URL, an ImageObject's url, or the first of a list (URL)
  std::string url;       // url, else mainEntityOfPage (URL)
  std::string language;  // inLanguage: "en-US"
  // author as a string, an object with a name (or givenName familyName),
  // or a list of either, in order, without duplicates. An object that only
  // references another by "@id" is looked up in the same JSON-LD block.
  std::vector<std::string> authors;
  // keywords as a list, or as a comma-separated string, split.
  std::vector<std::string> keywords;
};

// Every article-like object in the page's <script type="application/ld+json">
// blocks, in document order: objects at the top level, in top-level arrays,
// in "@graph", and under "mainEntity" (at any depth of those). A block that
// is not JSON is skipped; JSON with /* */ comments or trailing commas, or
// wrapped in <!-- --> or CDATA markers, is read. Blocks over 4 MiB are
// skipped.
std::vector<ArticleMetadata> ReadJsonLd(const Document& doc);

struct PageMeta {
  // <meta property=... content=...>: og:title, og:url,
  // article:published_time, article:section, ... Keys lower-cased; the
  // first non-empty value of each wins.
  std::map<std::string, std::string> property;
  // <meta name=... content=...>: description, author, keywords, ... Keys
  // lower-cased; the first non-empty value wins. Also microdata values
  // under "itemprop:<key>" (key lower-cased, one entry per name when
  // itemprop lists several): <meta itemprop content>, <time itemprop
  // datetime> and <link itemprop href> (a URL).
  std::map<std::string, std::string> name;
  std::string canonical;  // the first <link rel=canonical> that resolves (URL)
  std::string title;      // the first <title> that is not an SVG's
  std::string language;   // <html lang>, else <html xml:lang>
};

PageMeta ReadMeta(const Document& doc);

}  // namespace newshound::sdk

#endif  // NEWSHOUND_PLUGIN_METADATA_H_

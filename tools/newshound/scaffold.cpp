// `newshound new-plugin NAME --host HOST --dir D`: writes a plugin folder
// that builds against an installed newshound and passes its golden tests as
// written, for an author to adapt to a real site.
#include "scaffold.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

namespace newshound::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(@NAME@_plugin LANGUAGES CXX)

# An installed newshound (cmake --install ... --prefix P): configure with
# -DCMAKE_PREFIX_PATH=P.
find_package(newshound REQUIRED)

# The plugin: build/plugins/@NAME@.so
newshound_add_plugin(@NAME@ SOURCES @NAME@.cpp)

# Golden tests: each saved page goes through the plugin via the real CLI and
# is compared field by field with its .expected.json.
enable_testing()
newshound_add_golden_test(PLUGIN @NAME@
  PAGE fixtures/article.html
  URL https://@HOST@/news/first-story.html
  EXPECT fixtures/article.expected.json)
newshound_add_golden_test(PLUGIN @NAME@
  PAGE fixtures/listing.html
  URL https://@HOST@/news/
  EXPECT fixtures/listing.expected.json)
)";

constexpr const char* kSource = R"(// Site plugin for @HOST@, from the newshound scaffold.
//
// Adapt the XPath expressions to the site: save a real article page and a
// real listing page into fixtures/, point the golden tests at them in
// CMakeLists.txt, and iterate with
//
//   cmake --build build && ctest --test-dir build --output-on-failure
//
// When the output is right, record it as the expectation:
//
//   newshound extract --plugin-dir build/plugins --plugin @NAME@ \
//     --url https://@HOST@/news/first-story.html fixtures/article.html \
//     --expect fixtures/article.expected.json --update
//
// Process() runs on several threads at once: keep no mutable state.
#include <string>
#include <vector>

#include "newshound/plugin/date.h"
#include "newshound/plugin/html.h"
#include "newshound/plugin/sdk.h"
#include "newshound/plugin/text.h"

namespace {

namespace sdk = newshound::sdk;

class @CLASS@ {
 public:
  explicit @CLASS@(const sdk::Context&) {}

  void Process(const sdk::Page& page, sdk::Result& out) const {
    const sdk::Document doc = sdk::Document::Parse(page.html, page.url);
    if (auto article = doc.SelectFirst("//article[.//h1]")) {
      ExtractArticle(doc, *article, page, out);
    } else if (doc.SelectFirst("//main")) {
      ExtractListing(doc, out);
    } else {
      out.SetKind(sdk::PageKind::kOther);
    }
  }

 private:
  void ExtractArticle(const sdk::Document& doc, const sdk::Node& article, const sdk::Page& page,
                      sdk::Result& out) const {
    out.SetKind(sdk::PageKind::kArticle);
    if (auto h1 = article.SelectFirst(".//h1")) out.Set("title", h1->Text());
    if (auto time = article.SelectFirst(".//time[@datetime]")) {
      if (auto published = sdk::ParseDate(time->Attr("datetime"), page.fetched_at_ms)) {
        out.Set("published", published->ToIso());
      }
    }
    for (const auto& author : article.Select(".//a[@rel='author']")) out.AddAuthor(author.Text());
    if (auto body = article.SelectFirst(".//div[" + sdk::ClassXPath("body") + "]")) {
      out.Set("body", sdk::JoinParagraphs(body->Paragraphs()));
    }
    for (const auto& link : article.Select(".//aside[" + sdk::ClassXPath("related") + "]//a[@href]")) {
      if (auto url = doc.Resolve(link.Attr("href"))) out.AddRelated(link.Text(), *url, "");
    }
    if (auto canonical = doc.SelectFirst("//link[@rel='canonical'][@href]")) {
      if (auto url = doc.Resolve(canonical->Attr("href"))) out.Set("canonical_url", *url);
    }
    if (auto html = doc.SelectFirst("/html[@lang]")) out.Set("language", html->Attr("lang"));
  }

  void ExtractListing(const sdk::Document& doc, sdk::Result& out) const {
    out.SetKind(sdk::PageKind::kListing);
    for (const auto& link : doc.Select("//main//h2/a[@href]")) {
      if (auto url = doc.Resolve(link.Attr("href"))) out.AddArticle(*url);
    }
    if (auto next = doc.SelectFirst("//a[@rel='next'][@href]")) {
      if (auto url = doc.Resolve(next->Attr("href"))) out.SetNext(*url);
    }
  }
};

}  // namespace

NEWSHOUND_PLUGIN(@CLASS@, "@NAME@", "0.1.0", "Site plugin for @HOST@", "@HOST@")
)";

constexpr const char* kArticlePage = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>First story | @HOST@</title>
<link rel="canonical" href="https://@HOST@/news/first-story.html">
</head>
<body>
<nav><a href="/">Home</a> <a href="/news/">News</a></nav>
<main>
<article>
<h1>First story</h1>
<p class="byline">By <a rel="author" href="/authors/jane">Jane Doe</a>,
<time datetime="2024-05-01T08:30:00Z">1 May 2024</time></p>
<div class="body">
<p>The first paragraph of the story.</p>
<p>The second paragraph, with <a href="/news/other.html">a link</a> inside.</p>
</div>
<aside class="related"><h2>Related</h2>
<ul><li><a href="/news/second-story.html">Second story</a></li></ul></aside>
</article>
</main>
<footer>Copyright @HOST@</footer>
</body>
</html>
)";

constexpr const char* kArticleExpected = R"({
  "kind": "article",
  "article": {
    "canonical_url": "https://@HOST@/news/first-story.html",
    "article_id": null,
    "title": "First story",
    "published": "2024-05-01T08:30:00Z",
    "modified": null,
    "dateline": null,
    "location": null,
    "agency": null,
    "authors": [
      "Jane Doe"
    ],
    "section": null,
    "section_name": null,
    "language": "en",
    "image": null,
    "summary": null,
    "body": "The first paragraph of the story.\n\nThe second paragraph, with a link inside.",
    "related": [
      {
        "title": "Second story",
        "url": "https://@HOST@/news/second-story.html",
        "published": null
      }
    ]
  },
  "articles": [],
  "next": null,
  "links": []
}
)";

constexpr const char* kListingPage = R"(<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>News | @HOST@</title></head>
<body>
<nav><a href="/">Home</a> <a href="/news/">News</a></nav>
<main>
<h2><a href="/news/first-story.html">First story</a></h2>
<h2><a href="https://@HOST@/news/second-story.html">Second story</a></h2>
<a rel="next" href="/news/page/2/">Older stories</a>
</main>
</body>
</html>
)";

constexpr const char* kListingExpected = R"({
  "kind": "listing",
  "article": null,
  "articles": [
    "https://@HOST@/news/first-story.html",
    "https://@HOST@/news/second-story.html"
  ],
  "next": "https://@HOST@/news/page/2/",
  "links": []
}
)";

constexpr const char* kReadme = R"(# @NAME@: a newshound plugin for @HOST@

    cmake -S . -B build -DCMAKE_PREFIX_PATH=/path/to/newshound/prefix
    cmake --build build
    ctest --test-dir build --output-on-failure

`@NAME@.cpp` is the plugin; `fixtures/` holds saved pages and their expected
extraction. See newshound's docs/writing-a-plugin.md for the whole workflow.
)";

std::string Fill(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    const std::string placeholder = "@" + key + "@";
    for (size_t at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size()))
      text.replace(at, placeholder.size(), value);
  }
  return text;
}

// "my-site_2" -> "MySite2"
std::string ClassName(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '-' || c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "Plugin" + out;
  return out + "Plugin";
}

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

bool ValidHost(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  return true;
}

}  // namespace

Result<std::string> WritePluginScaffold(const std::string& name, const std::string& host, const std::string& dir) {
  if (!ValidName(name))
    return Status(ErrorCode::kInvalidArgument, "plugin name '" + name + "' must be 1-64 characters of [a-z0-9_-]");
  if (!ValidHost(host)) return Status(ErrorCode::kInvalidArgument, "'" + host + "' is not a host name");
  const fs::path root = fs::path(dir) / name;
  std::error_code ec;
  if (fs::exists(root, ec))
    return Status(ErrorCode::kInvalidArgument, root.string() + " already exists; new-plugin never overwrites");
  fs::create_directories(root / "fixtures", ec);
  if (ec) return Status(ErrorCode::kIo, root.string() + ": cannot create: " + ec.message());
  const std::map<std::string, std::string> values = {{"NAME", name}, {"HOST", host}, {"CLASS", ClassName(name)}};
  const std::pair<const char*, const char*> files[] = {
      {"CMakeLists.txt", kCMakeLists},
      {"README.md", kReadme},
      {nullptr, kSource},  // NAME.cpp
      {"fixtures/article.html", kArticlePage},
      {"fixtures/article.expected.json", kArticleExpected},
      {"fixtures/listing.html", kListingPage},
      {"fixtures/listing.expected.json", kListingExpected},
  };
  for (const auto& [relative, text] : files) {
    const fs::path path = root / (relative != nullptr ? std::string(relative) : name + ".cpp");
    std::ofstream out(path, std::ios::binary);
    out << Fill(text, values);
    if (!out.flush()) return Status(ErrorCode::kIo, path.string() + ": cannot write");
  }
  return root.string();
}

}  // namespace newshound::cli

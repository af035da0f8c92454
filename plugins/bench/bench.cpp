// Site plugin for the synthetic news site of tools/bench (gen_site.py).
// Every host has the same layout:
//
//   /news/ , /news/page/N/               listing: ~20 article links in
//                                        <main>, a "most read" sidebar,
//                                        and <a rel="next"> to page N+1
//   /articles/YYYY/MM/DD/<id>-<slug>.html article: <article> with <h1>,
//                                        <time datetime>, div.article-body
//
// It does what tools/bench/scrapy_spider.py does, so the two crawlers do
// the same work: listings give every article link on the page (the
// sidebar repeats some, which the crawler's seen set drops) and the next
// page; articles give title, published and body, and no links.
#include <string>
#include <string_view>

#include "newshound/plugin/date.h"
#include "newshound/plugin/html.h"
#include "newshound/plugin/links.h"
#include "newshound/plugin/sdk.h"
#include "newshound/plugin/text.h"

namespace {

namespace sdk = newshound::sdk;

class BenchSite {
 public:
  explicit BenchSite(const sdk::Context&) {}

  void Process(const sdk::Page& page, sdk::Result& out) const {
    const auto doc = sdk::Document::Parse(page.html, page.url);
    const std::string path = sdk::PathOf(page.url);
    if (path.starts_with("/articles/")) {
      ProcessArticle(doc, out);
    } else if (path.starts_with("/news/")) {
      ProcessListing(doc, out);
    } else {
      out.SetKind(sdk::PageKind::kOther);
    }
  }

 private:
  static void ProcessListing(const sdk::Document& doc, sdk::Result& out) {
    out.SetKind(sdk::PageKind::kListing);
    for (const sdk::Node& a : doc.Select("//a[starts-with(@href, '/articles/')]")) {
      if (auto url = doc.Resolve(a.Attr("href"))) out.AddArticle(*url);
    }
    if (auto next = doc.SelectFirst("//a[@rel='next'][@href]")) {
      if (auto url = doc.Resolve(next->Attr("href")); url && *url != doc.url()) out.SetNext(*url);
    }
  }

  static void ProcessArticle(const sdk::Document& doc, sdk::Result& out) {
    out.SetKind(sdk::PageKind::kArticle);
    auto article = doc.SelectFirst("//article");
    if (!article) return;
    if (auto h1 = article->SelectFirst(".//h1")) out.Set("title", h1->Text());
    if (auto time = article->SelectFirst(".//time[@datetime]")) {
      if (auto published = sdk::ParseIsoDateTime(time->Attr("datetime"))) out.Set("published", published->ToIso());
    }
    if (auto body = article->SelectFirst(".//div[" + sdk::ClassXPath("article-body") + "]")) {
      out.Set("body", sdk::JoinParagraphs(body->Paragraphs()));
    }
  }
};

}  // namespace

NEWSHOUND_PLUGIN(BenchSite, "bench", "1.0.0", "The synthetic site of tools/bench")

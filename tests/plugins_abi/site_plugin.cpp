// A plugin for generated test sites: a page whose path ends in '/' is a
// listing (links under /articles/ are articles, other links are listings),
// any other page is an article with its <title> and <p> text. Pages under
// /slow sleep 3 s, under /throw throw, under /relative return a relative
// link: the isolation tests use them.
#include <chrono>
#include <stdexcept>
#include <thread>

#include "newshound/plugin/html.h"
#include "newshound/plugin/sdk.h"
#include "newshound/plugin/text.h"

namespace {

namespace sdk = newshound::sdk;

class TestSite {
 public:
  explicit TestSite(const sdk::Context&) {}

  void Process(const sdk::Page& page, sdk::Result& out) const {
    // Misbehaviour on request, for the isolation tests.
    if (page.url.find("/slow") != std::string_view::npos) std::this_thread::sleep_for(std::chrono::seconds(3));
    if (page.url.find("/throw") != std::string_view::npos) throw std::runtime_error("thrown on purpose");
    if (page.url.find("/relative") != std::string_view::npos) out.AddArticle("no-scheme/relative.html");
    const auto doc = sdk::Document::Parse(page.html, page.url);
    std::string_view path = page.url;
    path = path.substr(0, path.find('?'));
    if (!path.empty() && path.back() == '/') {
      out.SetKind(sdk::PageKind::kListing);
      for (const auto& a : doc.Select("//a[@href]")) {
        auto url = doc.Resolve(a.Attr("href"));
        if (!url) continue;
        if (url->find("/articles/") != std::string::npos) {
          out.AddArticle(*url);
        } else {
          out.AddLink(*url, sdk::LinkKind::kListing);
        }
      }
      return;
    }
    out.SetKind(sdk::PageKind::kArticle);
    if (auto title = doc.SelectFirst("//title")) out.Set("title", title->Text());
    std::vector<std::string> paragraphs;
    for (const auto& p : doc.Select("//p")) paragraphs.push_back(p.Text());
    out.Set("body", sdk::JoinParagraphs(paragraphs));
  }
};

}  // namespace

NEWSHOUND_PLUGIN(TestSite, "testsite", "1.0.0", "Generated test sites")

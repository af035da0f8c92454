// A small plugin for the plugin-host tests, written with the SDK like any
// site plugin. What it does depends on the page URL's path.
#include <stdexcept>
#include <string>

#include "newshound/plugin/sdk.h"

namespace {

class TestPlugin {
 public:
  explicit TestPlugin(const newshound::sdk::Context& ctx) {
    if (ctx.settings_json().find("\"fail\"") != std::string_view::npos)
      throw std::invalid_argument("setting 'fail' asks this plugin to refuse");
  }

  void Process(const newshound::sdk::Page& page, newshound::sdk::Result& out) const {
    using newshound::sdk::LinkKind;
    using newshound::sdk::PageKind;
    const std::string url(page.url);
    if (url.find("/throw") != std::string::npos) throw std::runtime_error("boom on purpose");
    if (url.find("/article") != std::string::npos) {
      out.SetKind(PageKind::kArticle);
      out.Set("title", "A title");
      out.Set("body", std::string(page.html.substr(0, 20)));
      out.AddAuthor("Jane Doe");
      out.AddRelated("Other", "https://good.test/other.html", "2017-10-10T20:04:00Z");
      return;
    }
    if (url.find("/bad") != std::string::npos) {
      out.SetKind(PageKind::kArticle);
      out.Set("title", "\xFF\xFE not utf-8");
      out.Set("nonsense_field", "x");
      out.Set("body", "kept");
      return;
    }
    out.SetKind(PageKind::kListing);
    out.AddArticle("https://good.test/a.html");
    out.AddArticle("relative/b.html");           // a plugin bug: must be refused
    out.AddArticle("https://good.test/a.html");  // duplicate: dropped
    out.AddArticle("https://good.test/c.html");
    out.SetNext("https://good.test/page/2/");
    out.AddLink("https://good.test/section/", LinkKind::kListing);
  }
};

}  // namespace

NEWSHOUND_PLUGIN(TestPlugin, "testgood", "9.9.9", "Plugin-host test plugin", "good.test")

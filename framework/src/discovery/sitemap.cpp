// Sitemaps (https://www.sitemaps.org/protocol.html) and Google News
// sitemaps (https://developers.google.com/search/docs/crawling-indexing/sitemaps/news-sitemap).
//
//   <urlset>        <url> <loc/> <lastmod/> <news:news> ... </news:news> </url>
//   <sitemapindex>  <sitemap> <loc/> <lastmod/> </sitemap>
//
// Only children of the root and grandchildren in the root's namespace count,
// so extensions (image:loc, video:*) never stand in for <loc>.
#include "discovery/internal.h"

namespace newshound::discovery::internal {
namespace {

class SitemapHandler final : public Handler {
 public:
  SitemapHandler(Context& context, bool index, std::string root_ns)
      : context_(context), index_(index), root_ns_(std::move(root_ns)) {}

  void Start(int depth, const Name& name, const Attributes& /*attributes*/) override {
    if (depth == 2) {
      if (name.ns != root_ns_) return;
      if (name.local == (index_ ? "sitemap" : "url")) {
        if (!context_.collector->BeginEntry(context_.line)) {
          context_.stop = true;
          return;
        }
        in_entry_ = true;
        entry_ = Entry{};
        entry_.line = context_.line;
      } else if (name.local == (index_ ? "url" : "sitemap")) {
        context_.collector->Report(Problem::kStructure, context_.line,
                                   index_ ? "<url> in a sitemap index ignored" : "<sitemap> in a urlset ignored");
      }
      return;
    }
    if (!in_entry_) return;
    if (depth == 3) {
      if (name.ns == root_ns_ && name.local == "loc") {
        Capture(depth, Field::kLoc);
        if (TrimAscii(entry_.loc).empty()) entry_.loc_base = context_.base();
      } else if (name.ns == root_ns_ && name.local == "lastmod") {
        Capture(depth, Field::kLastmod);
      } else if (!index_ && name.ns == kNewsNs && name.local == "news") {
        entry_.is_news = true;
        in_news_ = true;
      }
    } else if (depth == 4 && in_news_ && name.ns == kNewsNs) {
      if (name.local == "publication_date") {
        Capture(depth, Field::kPublicationDate);
      } else if (name.local == "title") {
        Capture(depth, Field::kTitle);
      }
    }
  }

  void End(int depth, const Name& /*name*/) override {
    std::string text;
    if (field_ != Field::kNone && context_.text.EndAt(depth, &text)) {
      Keep(field_, std::move(text));
      field_ = Field::kNone;
    }
    if (depth == 3) in_news_ = false;
    if (depth == 2 && in_entry_) {
      in_entry_ = false;
      RawEntry raw;
      raw.urls.push_back({std::move(entry_.loc), std::move(entry_.loc_base)});
      // The publication date is the article's; lastmod moves with every
      // edit, and "since" is about new articles.
      raw.dates = {std::move(entry_.publication_date), std::move(entry_.lastmod)};
      raw.title = std::move(entry_.title);
      raw.is_news = entry_.is_news;
      raw.line = entry_.line;
      if (index_) {
        context_.collector->AddSitemap(std::move(raw));
      } else {
        context_.collector->AddPage(std::move(raw));
      }
    }
  }

 private:
  enum class Field { kNone, kLoc, kLastmod, kPublicationDate, kTitle };

  struct Entry {
    std::string loc, loc_base, lastmod, publication_date, title;
    bool is_news = false;
    int line = 0;
  };

  void Capture(int depth, Field field) {
    field_ = field;
    context_.text.Begin(depth);
  }

  // A repeated field: the first non-blank one wins.
  void Keep(Field field, std::string text) {
    std::string* slot = nullptr;
    switch (field) {
      case Field::kLoc:
        slot = &entry_.loc;
        break;
      case Field::kLastmod:
        slot = &entry_.lastmod;
        break;
      case Field::kPublicationDate:
        slot = &entry_.publication_date;
        break;
      case Field::kTitle:
        slot = &entry_.title;
        break;
      case Field::kNone:
        return;
    }
    if (TrimAscii(*slot).empty()) *slot = std::move(text);
  }

  Context& context_;
  const bool index_;
  const std::string root_ns_;
  bool in_entry_ = false;
  bool in_news_ = false;
  Field field_ = Field::kNone;
  Entry entry_;
};

}  // namespace

std::unique_ptr<Handler> MakeUrlsetHandler(Context& context, std::string root_ns) {
  return std::make_unique<SitemapHandler>(context, /*index=*/false, std::move(root_ns));
}

std::unique_ptr<Handler> MakeSitemapIndexHandler(Context& context, std::string root_ns) {
  return std::make_unique<SitemapHandler>(context, /*index=*/true, std::move(root_ns));
}

}  // namespace newshound::discovery::internal

// RSS (2.0: https://www.rssboard.org/rss-specification; also 0.9x and the
// RDF-based 0.90/1.0) and Atom 1.0 (RFC 4287).
//
// Only an item's or entry's own children are read, so a nested <source>
// (Atom) or an extension's <title> never overrides the entry's.
#include "discovery/internal.h"

namespace newshound::discovery::internal {
namespace {

bool StartsWithHttp(std::string_view text) {
  const std::string lower = LowerAscii(TrimAscii(text).substr(0, 8));
  return lower.compare(0, 7, "http://") == 0 || lower.compare(0, 8, "https://") == 0;
}

class RssHandler final : public Handler {
 public:
  RssHandler(Context& context, std::string root_ns) : context_(context), root_ns_(std::move(root_ns)) {}

  void Start(int depth, const Name& name, const Attributes& attributes) override {
    if (!in_item_) {
      // <item> is in <channel> for RSS 2.0, beside it for RSS 1.0.
      if (depth >= 2 && name.local == "item" && IsRss(name.ns)) {
        if (!context_.collector->BeginEntry(context_.line)) {
          context_.stop = true;
          return;
        }
        in_item_ = true;
        item_depth_ = depth;
        item_ = Item{};
        item_.line = context_.line;
      }
      return;
    }
    if (depth != item_depth_ + 1) return;
    if (IsRss(name.ns)) {
      if (name.local == "link") {
        Capture(depth, Field::kLink);
        if (TrimAscii(item_.link).empty()) item_.link_base = context_.base();
      } else if (name.local == "guid") {
        Capture(depth, Field::kGuid);
        if (TrimAscii(item_.guid).empty()) {
          item_.guid_base = context_.base();
          // RSS 2.0: isPermaLink defaults to true. In practice an unmarked
          // guid is as often a database id, so it only counts as a link
          // when it looks like one (decided when it ends).
          const auto permalink = attributes.Get("", "isPermaLink");
          item_.guid_permalink = !permalink                                     ? Permalink::kUnset
                                 : LowerAscii(TrimAscii(*permalink)) == "false" ? Permalink::kFalse
                                                                                : Permalink::kTrue;
        }
      } else if (name.local == "pubDate") {
        Capture(depth, Field::kPubDate);
      } else if (name.local == "title") {
        Capture(depth, Field::kTitle);
      }
    } else if (name.ns == kDublinCoreNs && name.local == "date") {
      Capture(depth, Field::kDcDate);
    }
  }

  void End(int depth, const Name& /*name*/) override {
    std::string text;
    if (field_ != Field::kNone && context_.text.EndAt(depth, &text)) {
      Keep(field_, std::move(text));
      field_ = Field::kNone;
    }
    if (in_item_ && depth == item_depth_) {
      in_item_ = false;
      RawEntry raw;
      raw.urls.push_back({std::move(item_.link), item_.link_base});
      if (item_.guid_permalink == Permalink::kTrue ||
          (item_.guid_permalink == Permalink::kUnset && StartsWithHttp(item_.guid))) {
        raw.urls.push_back({std::move(item_.guid), std::move(item_.guid_base)});
      }
      raw.dates = {std::move(item_.pub_date), std::move(item_.dc_date)};
      // RSS titles are plain text by the spec but often HTML-escaped once
      // more by the publishing CMS ("&amp;#8217;").
      raw.title = DecodeHtmlReferences(item_.title);
      raw.line = item_.line;
      context_.collector->AddPage(std::move(raw));
    }
  }

 private:
  enum class Field { kNone, kLink, kGuid, kPubDate, kDcDate, kTitle };
  enum class Permalink { kUnset, kTrue, kFalse };

  struct Item {
    std::string link, link_base, guid, guid_base, pub_date, dc_date, title;
    Permalink guid_permalink = Permalink::kUnset;
    int line = 0;
  };

  // Unqualified (RSS 0.9x/2.0), in the root's namespace (feeds that set a
  // default one), or RSS 0.90/1.0's.
  bool IsRss(std::string_view ns) const { return ns.empty() || ns == root_ns_ || ns == kRss10Ns || ns == kRss090Ns; }

  void Capture(int depth, Field field) {
    field_ = field;
    context_.text.Begin(depth);
  }

  // A repeated field: the first non-blank one wins.
  void Keep(Field field, std::string text) {
    std::string* slot = nullptr;
    switch (field) {
      case Field::kLink:
        slot = &item_.link;
        break;
      case Field::kGuid:
        slot = &item_.guid;
        break;
      case Field::kPubDate:
        slot = &item_.pub_date;
        break;
      case Field::kDcDate:
        slot = &item_.dc_date;
        break;
      case Field::kTitle:
        slot = &item_.title;
        break;
      case Field::kNone:
        return;
    }
    if (TrimAscii(*slot).empty()) *slot = std::move(text);
  }

  Context& context_;
  const std::string root_ns_;
  bool in_item_ = false;
  int item_depth_ = 0;
  Field field_ = Field::kNone;
  Item item_;
};

class AtomHandler final : public Handler {
 public:
  explicit AtomHandler(Context& context) : context_(context) {}

  void Start(int depth, const Name& name, const Attributes& attributes) override {
    if (!in_entry_) {
      if (depth >= 2 && name.ns == kAtomNs && name.local == "entry") {
        if (!context_.collector->BeginEntry(context_.line)) {
          context_.stop = true;
          return;
        }
        in_entry_ = true;
        entry_depth_ = depth;
        entry_ = Entry{};
        entry_.line = context_.line;
      }
      return;
    }
    if (depth != entry_depth_ + 1 || name.ns != kAtomNs) return;
    if (name.local == "link") {
      AddLink(attributes);
    } else if (name.local == "published") {
      Capture(depth, Field::kPublished);
    } else if (name.local == "updated") {
      Capture(depth, Field::kUpdated);
    } else if (name.local == "title") {
      Capture(depth, Field::kTitle);
      if (TrimAscii(entry_.title).empty()) {
        entry_.title_type = LowerAscii(TrimAscii(attributes.Get("", "type").value_or("text")));
      }
    }
  }

  void End(int depth, const Name& /*name*/) override {
    std::string text;
    if (field_ != Field::kNone && context_.text.EndAt(depth, &text)) {
      Keep(field_, std::move(text));
      field_ = Field::kNone;
    }
    if (in_entry_ && depth == entry_depth_) {
      in_entry_ = false;
      RawEntry raw;
      raw.urls = std::move(entry_.html_links);
      for (UrlCandidate& link : entry_.other_links) raw.urls.push_back(std::move(link));
      raw.dates = {std::move(entry_.published), std::move(entry_.updated)};
      // RFC 4287 3.1: "text" is plain, "html" is escaped markup, "xhtml" is
      // inline markup whose text the capture has already collected.
      raw.title = entry_.title_type == "html" ? DecodeHtmlReferences(StripTags(entry_.title)) : std::move(entry_.title);
      raw.line = entry_.line;
      context_.collector->AddPage(std::move(raw));
    }
  }

 private:
  enum class Field { kNone, kPublished, kUpdated, kTitle };

  // Link candidates kept per entry: real entries have one or two
  // alternates; a hostile one could have millions.
  static constexpr size_t kMaxLinks = 8;

  struct Entry {
    std::vector<UrlCandidate> html_links;   // rel=alternate, an HTML type or none
    std::vector<UrlCandidate> other_links;  // rel=alternate, another type
    std::string published, updated, title, title_type = "text";
    int line = 0;
  };

  // RFC 4287 4.2.7.2: no rel means "alternate", the entry's own page.
  void AddLink(const Attributes& attributes) {
    const std::string rel = LowerAscii(TrimAscii(attributes.Get("", "rel").value_or("alternate")));
    if (rel != "alternate" && rel != "http://www.iana.org/assignments/relation/alternate") return;
    auto href = attributes.Get("", "href");
    if (!href) return;
    const std::string type = LowerAscii(TrimAscii(attributes.Get("", "type").value_or("")));
    const bool html = type.empty() || type == "text/html" || type == "application/xhtml+xml";
    std::vector<UrlCandidate>& links = html ? entry_.html_links : entry_.other_links;
    if (links.size() < kMaxLinks) links.push_back({std::move(*href), context_.base()});
  }

  void Capture(int depth, Field field) {
    field_ = field;
    context_.text.Begin(depth);
  }

  void Keep(Field field, std::string text) {
    std::string* slot = nullptr;
    switch (field) {
      case Field::kPublished:
        slot = &entry_.published;
        break;
      case Field::kUpdated:
        slot = &entry_.updated;
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
  bool in_entry_ = false;
  int entry_depth_ = 0;
  Field field_ = Field::kNone;
  Entry entry_;
};

}  // namespace

std::unique_ptr<Handler> MakeRssHandler(Context& context, std::string root_ns) {
  return std::make_unique<RssHandler>(context, std::move(root_ns));
}

std::unique_ptr<Handler> MakeAtomHandler(Context& context) { return std::make_unique<AtomHandler>(context); }

}  // namespace newshound::discovery::internal

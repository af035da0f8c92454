// What the discovery parsers share: the XML event interface the libxml2 SAX
// driver (discovery.cpp) calls, the per-kind handlers (sitemap.cpp,
// feed.cpp), and the Collector that turns raw entries into results
// (collector.cpp).
//
// The handlers never touch libxml2: they see element names, attributes and
// captured text, and record RawEntries. The Collector applies the rules all
// kinds share (URL resolution, dates, since, caps, warnings).
//
// Thread safety: everything here belongs to one parse on one thread.
#ifndef NEWSHOUND_DISCOVERY_INTERNAL_H_
#define NEWSHOUND_DISCOVERY_INTERNAL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "newshound/discovery.h"

namespace newshound::discovery::internal {

inline constexpr std::string_view kSitemapNs = "http://www.sitemaps.org/schemas/sitemap/0.9";
inline constexpr std::string_view kNewsNs = "http://www.google.com/schemas/sitemap-news/0.9";
inline constexpr std::string_view kAtomNs = "http://www.w3.org/2005/Atom";
inline constexpr std::string_view kDublinCoreNs = "http://purl.org/dc/elements/1.1/";
inline constexpr std::string_view kRdfNs = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
inline constexpr std::string_view kRss10Ns = "http://purl.org/rss/1.0/";
inline constexpr std::string_view kRss090Ns = "http://my.netscape.com/rdf/simple/0.9/";
inline constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";

// sitemaps.org asks for URLs under 2,048 characters; real ones run longer
// (tracking parameters), but beyond this an entry is junk, not a page.
inline constexpr size_t kMaxUrlBytes = 8192;
// Headlines are a line; more than this is a body pasted into a title.
inline constexpr size_t kMaxTitleBytes = 2048;
// Text kept from one element. Larger than every field limit above, so a
// field that hits it is recognisably too long, and small enough that a
// 50 MiB text node costs nothing.
inline constexpr size_t kMaxCapturedBytes = 16 * 1024;
// Per kind of problem, this many warnings are spelled out; the rest are
// counted in one line.
inline constexpr int kShownPerProblem = 3;

// An element name: namespace URI ("" for none) and local name.
struct Name {
  std::string_view ns;
  std::string_view local;
};

// A view of libxml2's SAX2 attribute array (localname, prefix, URI, value,
// end; five pointers per attribute). Valid during the Start call only.
class Attributes {
 public:
  Attributes(const unsigned char** raw, int count) : raw_(raw), count_(count) {}
  // The value of the attribute, or nullopt. Unprefixed attributes have no
  // namespace ("" here), whatever the default namespace.
  std::optional<std::string> Get(std::string_view ns, std::string_view local) const;

 private:
  const unsigned char** raw_;
  int count_;
};

// The text of one element and its descendants, capped at kMaxCapturedBytes
// (the rest is dropped).
class TextCapture {
 public:
  void Begin(int depth) {
    active_ = true;
    depth_ = depth;
    text_.clear();
  }
  void Append(std::string_view text) {
    if (!active_) return;
    if (text.size() > kMaxCapturedBytes - text_.size()) text = text.substr(0, kMaxCapturedBytes - text_.size());
    text_.append(text);
  }
  // Ends the capture if it was begun at `depth`, moving the text to *out.
  bool EndAt(int depth, std::string* out) {
    if (!active_ || depth != depth_) return false;
    active_ = false;
    *out = std::move(text_);
    text_.clear();
    return true;
  }

 private:
  bool active_ = false;
  int depth_ = 0;
  std::string text_;
};

// A link as written, with the base it is to be resolved against ("" when
// there is none: then only an absolute link is usable).
struct UrlCandidate {
  std::string ref;
  std::string base;
};

// An entry as a handler found it.
struct RawEntry {
  std::vector<UrlCandidate> urls;  // by preference: the first that resolves wins
  std::vector<std::string> dates;  // by preference: the first that parses wins
  std::string title;               // plain text, not yet normalized
  bool is_news = false;
  int line = 0;  // where the entry element starts; 0 if unknown
};

enum class Problem { kXml, kUrl, kDate, kStructure };
inline constexpr size_t kProblemKinds = 4;

class Collector {
 public:
  Collector(std::string_view document_url, const DiscoveryOptions& options, DiscoveryResult* result);

  // The document URL if it is an absolute http(s) URL, else "".
  const std::string& document_base() const { return document_base_; }

  // An entry element starts. False once max_entries entries have been seen
  // (warned once, result marked truncated): the caller stops reading.
  bool BeginEntry(int line);
  // Resolves, dates, filters and stores an entry.
  void AddPage(RawEntry entry) { Add(std::move(entry), &result_->pages); }
  void AddSitemap(RawEntry entry) { Add(std::move(entry), &result_->sitemaps); }

  // A problem at `line` (0: unknown). The first kShownPerProblem of each
  // kind become warnings as given; Finish() counts the rest.
  void Report(Problem kind, int line, std::string_view message);
  // A warning that occurs once per document.
  void Warn(std::string message) { result_->warnings.push_back(std::move(message)); }
  void MarkTruncated() { result_->truncated = true; }
  void SetKind(DocumentKind kind) { result_->kind = kind; }
  // Adds the summary lines; call once, at the end.
  void Finish();

 private:
  void Add(RawEntry entry, std::vector<DiscoveredEntry>* out);

  const DiscoveryOptions& options_;
  DiscoveryResult* result_;
  std::string document_base_;
  size_t entries_seen_ = 0;
  bool entry_cap_reported_ = false;
  std::array<int64_t, kProblemKinds> problems_{};
};

// What a handler works with, owned by the driver.
struct Context {
  Collector* collector = nullptr;
  TextCapture text;
  // xml:base in effect, innermost last, with the depth of the element that
  // set it.
  std::vector<std::pair<int, std::string>> bases;
  int line = 0;       // line of the event being handled
  bool stop = false;  // set by a handler: read no further

  const std::string& base() const { return bases.empty() ? collector->document_base() : bases.back().second; }
};

// One document kind's element logic. Depth 1 is the root element, which
// the driver has already used to pick the handler.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void Start(int depth, const Name& name, const Attributes& attributes) = 0;
  virtual void End(int depth, const Name& name) = 0;
};

// `root_ns`: the namespace of the root element; sitemap elements are those
// in the same namespace (so image:loc is not taken for loc).
std::unique_ptr<Handler> MakeUrlsetHandler(Context& context, std::string root_ns);
std::unique_ptr<Handler> MakeSitemapIndexHandler(Context& context, std::string root_ns);
// RSS elements are unqualified, or in the root's namespace, or RSS 0.90/1.0's.
std::unique_ptr<Handler> MakeRssHandler(Context& context, std::string root_ns);
std::unique_ptr<Handler> MakeAtomHandler(Context& context);

// A byte-level pass over the XML before libxml2 sees it, as it streams
// past. Byte-oriented: only for ASCII-compatible encodings (not UTF-16/32).
//  - Escapes each '&' that starts no entity or character reference
//    ("?a=1&b=2", "Q&A") as "&amp;", outside CDATA, comments and
//    declarations. That is the commonest well-formedness error in feeds, and
//    libxml2's recovery drops the '&' and the name after it, which breaks
//    query URLs.
//  - Stops at a start tag with more than kMaxAttributes attributes: libxml2
//    2.9 checks for duplicate attributes pairwise, so one tag with a
//    million of them would take hours.
class XmlInputFilter {
 public:
  // Feeds and sitemaps use a handful per element.
  static constexpr int kMaxAttributes = 256;

  // Appends the filtered form of `in` to *out. A few bytes that cannot be
  // judged yet (a '&' near the end, a partial "<![CDATA[") are held back
  // for the next call.
  void Feed(std::string_view in, std::string* out) { Run(in, /*final=*/false, out); }
  // The input is complete: flushes what was held back.
  void Finish(std::string* out) { Run({}, /*final=*/true, out); }
  // How many '&' were escaped.
  int64_t repaired() const { return repaired_; }
  // A start tag had too many attributes: the output ends inside it, and
  // nothing more is passed on.
  bool stopped() const { return stopped_; }

 private:
  enum class State { kText, kStartTag, kMarkup, kComment, kCdata };

  void Run(std::string_view in, bool final, std::string* out);

  std::string pending_;
  State state_ = State::kText;
  char quote_ = 0;  // kStartTag: the quote of the attribute value we are in, or 0
  int attributes_ = 0;
  int64_t repaired_ = 0;
  bool stopped_ = false;
};

// --- Text helpers ---

// Code points that are not characters (0, surrogates, past U+10FFFF)
// become U+FFFD.
void AppendUtf8(uint32_t cp, std::string* out);
std::string_view TrimAscii(std::string_view text);
std::string LowerAscii(std::string_view text);
// Whitespace runs (ASCII and U+00A0) become one space; the ends are trimmed.
std::string CollapseWhitespace(std::string_view text);
// HTML character references (&eacute;, &#8217;, &#x2019;) decoded, for
// titles that were escaped twice; unknown names are left as written.
// Numeric references to C1 controls are read as windows-1252, as browsers do.
std::string DecodeHtmlReferences(std::string_view text);
// Markup removed from an HTML fragment (Atom type="html"): tags dropped,
// line-breaking ones replaced by a space.
std::string StripTags(std::string_view html);
// Untrusted text made fit for a warning: valid UTF-8, no control
// characters, at most `max_bytes` (then "...").
std::string Printable(std::string_view text, size_t max_bytes = 120);

}  // namespace newshound::discovery::internal

#endif  // NEWSHOUND_DISCOVERY_INTERNAL_H_

// The driver: undoes gzip as a stream, feeds libxml2's push parser in
// pieces, and turns its SAX2 events into Handler calls.
//
// Why SAX over a tree or the reader: a 50,000-entry sitemap then costs one
// entry's worth of memory, and nothing but the few fields we read is ever
// copied. Why push: the gzip stream can be parsed as it is inflated, so a
// decompression bomb never needs its decoded size in memory.
#include "newshound/discovery.h"

#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "discovery/internal.h"
#include "newshound/url.h"

namespace newshound::discovery {
namespace {

using internal::Attributes;
using internal::Collector;
using internal::Context;
using internal::Handler;
using internal::Name;
using internal::Problem;

// Bytes handed to the parser at a time: big enough to keep libxml2's
// per-call overhead small, small enough that a piece never matters.
constexpr size_t kPiece = 64 * 1024;
constexpr size_t kGzipOutPiece = 16 * 1024;
// Sitemaps and feeds nest a few levels (an xhtml title a few more). libxml2
// limits depth in its pull parser only; in push mode its stacks would grow
// with every level, to gigabytes for 50 MiB of "<x>".
constexpr int kMaxDepth = 256;

std::string_view View(const xmlChar* text) {
  return text == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(text));
}

// Sitemap namespaces seen in the wild besides the sitemaps.org one: none
// (old generators) and Google's from before sitemaps.org existed.
bool IsKnownSitemapNamespace(std::string_view ns) {
  return ns.empty() || ns == internal::kSitemapNs || ns == "http://www.google.com/schemas/sitemap/0.84" ||
         ns == "http://www.google.com/schemas/sitemap/0.9";
}

// One document through libxml2's SAX2 push parser.
//
// Safety: the handler table has no entityDecl, internalSubset,
// externalSubset, resolveEntity or getParameterEntity, and the SAX user data
// is this session, not the parser context, which turns off libxml2's
// fallback to the entities it records for "expat compatibility". So no
// entity a document declares is ever found: none is expanded, external or
// internal (XXE, billion laughs); a reference to one is reported as
// undefined; nothing is loaded. XML_PARSE_NONET on top, and no
// XML_PARSE_NOENT, DTDLOAD or HUGE. The one entity source is getEntity,
// which knows HTML's named characters (&nbsp;, &eacute;: sloppy feeds use
// them undeclared) as fixed one-character texts.
class XmlSession {
 public:
  explicit XmlSession(Collector& collector) { context_.collector = &collector; }
  ~XmlSession() {
    if (parser_ == nullptr) return;
    // A DTD's declarations land in a stand-in document libxml2 makes for
    // "expat compatibility" and does not always free.
    if (parser_->myDoc != nullptr) xmlFreeDoc(parser_->myDoc);
    parser_->myDoc = nullptr;
    xmlFreeParserCtxt(parser_);
  }
  XmlSession(const XmlSession&) = delete;
  XmlSession& operator=(const XmlSession&) = delete;

  // Parses the next bytes. False once the parser wants no more: it has
  // stopped (not a discovery document, entry cap) or the document ended.
  bool Feed(std::string_view bytes) {
    if (bytes.empty()) return !Done();
    if (parser_ == nullptr) {
      if (!Create(bytes.substr(0, 4))) return false;
      bytes.remove_prefix(std::min<size_t>(4, bytes.size()));
    }
    while (!bytes.empty() && !Done()) {
      const size_t n = std::min(bytes.size(), kPiece);
      xmlParseChunk(parser_, bytes.data(), static_cast<int>(n), 0);
      bytes.remove_prefix(n);
    }
    return !Done();
  }

  // The end of the input. `cut`: it ends early (a cap, broken gzip), so the
  // parser's complaints about the missing end are consequences, not news.
  void Finish(bool cut) {
    if (parser_ == nullptr) {
      context_.collector->Warn("empty document");
      return;
    }
    quiet_ = cut;
    if (!Done()) xmlParseChunk(parser_, nullptr, 0, 1);
    if (!root_seen_) context_.collector->Warn("no root element: not an XML document");
  }

 private:
  // The SAX user data (see the class comment).
  static XmlSession& Self(void* ctx) { return *static_cast<XmlSession*>(ctx); }

  bool Done() const { return stopped_ || (parser_ != nullptr && parser_->instate == XML_PARSER_EOF); }

  bool Create(std::string_view head) {
    static std::once_flag init_once;
    // libxml2 wants its globals set up once, before any thread parses.
    std::call_once(init_once, [] { xmlInitParser(); });

    xmlSAXHandler sax{};
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = &OnStartElement;
    sax.endElementNs = &OnEndElement;
    sax.characters = &OnCharacters;
    sax.cdataBlock = &OnCharacters;
    sax.getEntity = &OnGetEntity;
    sax.serror = &OnError;
    // The first bytes decide the encoding family (BOM, UTF-16) before the
    // XML declaration names the charset, as libxml2's push API asks.
    parser_ = xmlCreatePushParserCtxt(&sax, this, head.data(), static_cast<int>(head.size()), nullptr);
    if (parser_ == nullptr) {
      context_.collector->Warn("cannot set up the XML parser");
      stopped_ = true;
      return false;
    }
    xmlCtxtUseOptions(parser_, XML_PARSE_NONET | XML_PARSE_RECOVER);
    // Set again by hand: xmlCtxtUseOptions leaves fields alone for options
    // not given, and process-wide defaults (xmlSubstituteEntitiesDefault,
    // xmlLoadExtDtdDefaultValue) might have been changed by other code.
    parser_->replaceEntities = 0;
    parser_->loadsubset = 0;
    parser_->validate = 0;
    parser_->pedantic = 0;
    parser_->linenumbers = 1;
    return true;
  }

  // After a well-formedness error libxml2 (2.9 at least) drops every later
  // entity reference, even &amp;, in recovery mode. The error has been
  // reported already; resetting the flag keeps the text intact.
  void ClearWellFormedFlag() { parser_->wellFormed = 1; }

  int Line() const { return xmlSAX2GetLineNumber(parser_); }

  void StartElement(const Name& name, const Attributes& attributes) {
    ClearWellFormedFlag();
    ++depth_;
    context_.line = Line();
    if (depth_ > kMaxDepth) {
      context_.collector->MarkTruncated();
      context_.collector->Warn("line " + std::to_string(context_.line) + ": elements nested more than " +
                               std::to_string(kMaxDepth) +
                               " deep; the rest of the document is ignored (entries complete by then are kept)");
      Stop();
      return;
    }
    if (auto base = attributes.Get(internal::kXmlNs, "base"); base && base->size() <= internal::kMaxUrlBytes) {
      // An xml:base that does not resolve is ignored: the outer base stays.
      const std::string& outer = context_.base();
      auto resolved = outer.empty() ? ResolveUrl(*base, *base) : ResolveUrl(outer, *base);
      if (resolved.ok() && resolved->size() <= internal::kMaxUrlBytes) {
        context_.bases.emplace_back(depth_, std::move(resolved).value());
      }
    }
    if (depth_ == 1) {
      root_seen_ = true;
      handler_ = HandlerForRoot(name);
      if (handler_ == nullptr) Stop();
      return;
    }
    if (handler_ != nullptr) handler_->Start(depth_, name, attributes);
    if (context_.stop) Stop();
  }

  void EndElement(const Name& name) {
    ClearWellFormedFlag();
    context_.line = Line();
    if (handler_ != nullptr && depth_ > 1) handler_->End(depth_, name);
    if (!context_.bases.empty() && context_.bases.back().first == depth_) context_.bases.pop_back();
    --depth_;
    if (context_.stop) Stop();
  }

  std::unique_ptr<Handler> HandlerForRoot(const Name& root) {
    Collector& collector = *context_.collector;
    const std::string where = "line " + std::to_string(context_.line) + ": ";
    if (root.local == "urlset" || root.local == "sitemapindex") {
      if (!IsKnownSitemapNamespace(root.ns)) {
        collector.Warn(where + "<" + std::string(root.local) + "> in namespace '" + internal::Printable(root.ns) +
                       "', not the sitemaps.org one; read anyway");
      }
      if (root.local == "urlset") {
        collector.SetKind(DocumentKind::kUrlset);
        return internal::MakeUrlsetHandler(context_, std::string(root.ns));
      }
      collector.SetKind(DocumentKind::kSitemapIndex);
      return internal::MakeSitemapIndexHandler(context_, std::string(root.ns));
    }
    if (root.local == "rss" || (root.local == "RDF" && root.ns == internal::kRdfNs)) {
      collector.SetKind(DocumentKind::kRss);
      return internal::MakeRssHandler(context_, std::string(root.ns));
    }
    if (root.local == "feed" && root.ns == internal::kAtomNs) {
      collector.SetKind(DocumentKind::kAtom);
      return internal::MakeAtomHandler(context_);
    }
    std::string element = "<" + internal::Printable(root.local, 60) + ">";
    if (!root.ns.empty()) element += " in namespace '" + internal::Printable(root.ns) + "'";
    collector.Warn(where + "root element " + element +
                   " is not a sitemap, sitemap index, RSS or Atom 1.0 feed; nothing read");
    return nullptr;
  }

  void Stop() {
    stopped_ = true;
    xmlStopParser(parser_);
  }

  // --- libxml2 callbacks ---

  static void OnStartElement(void* ctx, const xmlChar* local, const xmlChar* /*prefix*/, const xmlChar* uri,
                             int /*nb_namespaces*/, const xmlChar** /*namespaces*/, int nb_attributes,
                             int /*nb_defaulted*/, const xmlChar** attributes) {
    XmlSession& self = Self(ctx);
    if (self.stopped_) return;
    self.StartElement(Name{View(uri), View(local)}, Attributes(attributes, nb_attributes));
  }

  static void OnEndElement(void* ctx, const xmlChar* local, const xmlChar* /*prefix*/, const xmlChar* uri) {
    XmlSession& self = Self(ctx);
    if (self.stopped_) return;
    self.EndElement(Name{View(uri), View(local)});
  }

  static void OnCharacters(void* ctx, const xmlChar* text, int length) {
    XmlSession& self = Self(ctx);
    self.ClearWellFormedFlag();
    if (length > 0) self.context_.text.Append(std::string_view(reinterpret_cast<const char*>(text), length));
  }

  static xmlEntityPtr OnGetEntity(void* ctx, const xmlChar* name) {
    XmlSession& self = Self(ctx);
    // In attribute values libxml2 copies only the first byte of a
    // predefined entity's text; leave those undefined (reported) instead.
    if (self.parser_->instate != XML_PARSER_CONTENT) return nullptr;
    const std::string key(View(name));
    auto it = self.entities_.find(key);
    if (it == self.entities_.end()) {
      const htmlEntityDesc* html = htmlEntityLookup(name);
      if (html == nullptr) return nullptr;
      auto entity = std::make_unique<StaticEntity>();
      entity->name = key;
      internal::AppendUtf8(html->value, &entity->content);
      xmlEntity& e = entity->entity;
      e.type = XML_ENTITY_DECL;
      e.name = reinterpret_cast<const xmlChar*>(entity->name.c_str());
      e.content = reinterpret_cast<xmlChar*>(entity->content.data());
      e.orig = e.content;
      e.length = static_cast<int>(entity->content.size());
      // Typed like &amp;: libxml2 passes its text to characters() as is
      // and never parses it as markup.
      e.etype = XML_INTERNAL_PREDEFINED_ENTITY;
      e.checked = 1;
      it = self.entities_.emplace(key, std::move(entity)).first;
    }
    return &it->second->entity;
  }

  static void OnError(void* ctx, xmlErrorPtr error) {
    // This may run inside xmlCreatePushParserCtxt, before parser_ is set.
    if (ctx == nullptr || error == nullptr) return;
    XmlSession& self = Self(ctx);
    if (self.stopped_ || self.quiet_) return;
    std::string message = error->message != nullptr ? error->message : "XML error";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    if (error->int2 > 0) message = "column " + std::to_string(error->int2) + ": " + message;
    self.context_.collector->Report(Problem::kXml, error->line, message);
  }

  // An HTML named character handed to libxml2 as an entity; owned here
  // because libxml2 keeps pointers to it for the whole parse.
  struct StaticEntity {
    xmlEntity entity{};
    std::string name;
    std::string content;
  };

  Context context_;
  // The parser refers to these until it is freed (first thing in the
  // destructor).
  std::map<std::string, std::unique_ptr<StaticEntity>> entities_;
  std::unique_ptr<Handler> handler_;
  xmlParserCtxtPtr parser_ = nullptr;
  int depth_ = 0;
  bool root_seen_ = false;
  bool stopped_ = false;
  bool quiet_ = false;
};

enum class GzipEnd { kComplete, kStopped, kCorrupt, kTruncated };

struct GzipOutcome {
  GzipEnd end = GzipEnd::kComplete;
  std::string message;    // kCorrupt: zlib's reason
  uint64_t decoded = 0;   // bytes produced
  uint64_t trailing = 0;  // kComplete: bytes after the last member, ignored
};

// Inflates gzip members (concatenated ones too, as gunzip does) and hands
// the output to `sink` a piece at a time; stops when it returns false.
GzipOutcome Gunzip(std::string_view in, const std::function<bool(std::string_view)>& sink) {
  GzipOutcome outcome;
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    outcome.end = GzipEnd::kCorrupt;
    outcome.message = "cannot set up the decompressor";
    return outcome;
  }
  // zlib counts in uInt; a body is far smaller, but this is untrusted input.
  constexpr size_t kMaxSlice = size_t{1} << 30;
  unsigned char out[kGzipOutPiece];
  size_t pos = 0;
  for (;;) {
    const size_t slice = std::min(in.size() - pos, kMaxSlice);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + pos));
    z.avail_in = static_cast<uInt>(slice);
    z.next_out = out;
    z.avail_out = sizeof(out);
    const int rc = inflate(&z, Z_NO_FLUSH);
    pos += slice - z.avail_in;
    const size_t produced = sizeof(out) - z.avail_out;
    outcome.decoded += produced;
    if (produced > 0 && !sink(std::string_view(reinterpret_cast<const char*>(out), produced))) {
      outcome.end = GzipEnd::kStopped;
      break;
    }
    if (rc == Z_STREAM_END) {
      if (in.size() - pos >= 2 && static_cast<unsigned char>(in[pos]) == 0x1f &&
          static_cast<unsigned char>(in[pos + 1]) == 0x8b && inflateReset(&z) == Z_OK) {
        continue;  // another member
      }
      outcome.trailing = in.size() - pos;
      break;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && pos == in.size()) {
      outcome.end = GzipEnd::kTruncated;
      break;
    }
    outcome.end = GzipEnd::kCorrupt;
    outcome.message = z.msg != nullptr ? z.msg : "invalid compressed data";
    break;
  }
  inflateEnd(&z);
  return outcome;
}

// UTF-16 and UTF-32 put NULs among the first four bytes (or start with a
// byte order mark); the byte-level XmlInputFilter must not touch them.
bool LooksWide(std::string_view head) {
  head = head.substr(0, 4);
  if (head.substr(0, 2) == "\xFF\xFE" || head.substr(0, 2) == "\xFE\xFF") return true;
  return head.find('\0') != std::string_view::npos;
}

bool IsGzip(std::string_view body) {
  return body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f && static_cast<unsigned char>(body[1]) == 0x8b;
}

enum class Judgement { kReference, kBare, kUndecided };

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// Whether the '&' at rest[0] starts a reference ("&name;", "&#123;",
// "&#x1F;"). Names longer than any real entity count as bare.
Judgement JudgeAmpersand(std::string_view rest) {
  constexpr size_t kMaxReference = 32;
  const size_t n = rest.size();
  if (n < 2) return Judgement::kUndecided;
  size_t j = 1;
  if (rest[1] == '#') {
    j = 2;
    bool hex = false;
    if (j < n && rest[j] == 'x') {
      hex = true;
      ++j;
    }
    const size_t start = j;
    while (j < n && j <= kMaxReference &&
           (std::isdigit(static_cast<unsigned char>(rest[j])) ||
            (hex && std::isxdigit(static_cast<unsigned char>(rest[j]))))) {
      ++j;
    }
    if (j >= n) return j > kMaxReference ? Judgement::kBare : Judgement::kUndecided;
    return rest[j] == ';' && j > start ? Judgement::kReference : Judgement::kBare;
  }
  if (!IsNameStart(rest[1])) return Judgement::kBare;
  j = 2;
  while (j < n && j <= kMaxReference && IsNameChar(rest[j])) ++j;
  if (j >= n) return j > kMaxReference ? Judgement::kBare : Judgement::kUndecided;
  return rest[j] == ';' ? Judgement::kReference : Judgement::kBare;
}

}  // namespace

namespace internal {

void XmlInputFilter::Run(std::string_view in, bool final, std::string* out) {
  static constexpr std::string_view kCdataOpen = "<![CDATA[";
  static constexpr std::string_view kCommentOpen = "<!--";
  if (stopped_) return;
  std::string joined;
  std::string_view buf = in;
  if (!pending_.empty()) {
    joined = std::move(pending_);
    joined.append(in);
    pending_.clear();
    buf = joined;
  }
  // Copies up to `close` and past it, or all but the bytes that may begin
  // it (held back), for the states that end at a fixed sequence.
  const auto skip_to = [&](size_t& i, std::string_view close) {
    const size_t at = buf.find(close, i);
    if (at == std::string_view::npos) {
      const size_t keep = final ? 0 : std::min(close.size() - 1, buf.size() - i);
      out->append(buf.substr(i, buf.size() - i - keep));
      pending_.assign(buf.substr(buf.size() - keep));
      i = buf.size();
      return false;
    }
    out->append(buf.substr(i, at + close.size() - i));
    i = at + close.size();
    state_ = State::kText;
    return true;
  };
  // The '&' at i: copied, escaped, or (undecided) held back. False: held.
  const auto ampersand = [&](size_t& i) {
    Judgement judgement = JudgeAmpersand(buf.substr(i));
    if (judgement == Judgement::kUndecided) {
      if (!final) {
        pending_.assign(buf.substr(i));
        return false;
      }
      judgement = Judgement::kBare;
    }
    if (judgement == Judgement::kBare) {
      out->append("&amp;");
      ++repaired_;
    } else {
      *out += '&';
    }
    ++i;
    return true;
  };

  size_t i = 0;
  while (i < buf.size()) {
    switch (state_) {
      case State::kCdata:  // literal: an '&' there is text, not an error
        if (!skip_to(i, "]]>")) return;
        break;
      case State::kComment:
        if (!skip_to(i, "-->")) return;
        break;
      case State::kMarkup:  // "</x>", "<?pi?>", "<!DOCTYPE", "<!ENTITY": passed on as they are
        if (!skip_to(i, ">")) return;
        break;
      case State::kText: {
        const size_t special = buf.find_first_of("&<", i);
        if (special == std::string_view::npos) {
          out->append(buf.substr(i));
          return;
        }
        out->append(buf.substr(i, special - i));
        i = special;
        if (buf[i] == '&') {
          if (!ampersand(i)) return;
          break;
        }
        const std::string_view rest = buf.substr(i);
        if (rest.size() < 2 && !final) {
          pending_.assign(rest);
          return;
        }
        const char next = rest.size() < 2 ? '\0' : rest[1];
        if (next == '!') {
          if (rest.substr(0, kCdataOpen.size()) == kCdataOpen) {
            out->append(kCdataOpen);
            i += kCdataOpen.size();
            state_ = State::kCdata;
          } else if (rest.substr(0, kCommentOpen.size()) == kCommentOpen) {
            out->append(kCommentOpen);
            i += kCommentOpen.size();
            state_ = State::kComment;
          } else if (!final && rest.size() < kCdataOpen.size() &&
                     (kCdataOpen.substr(0, rest.size()) == rest || kCommentOpen.substr(0, rest.size()) == rest)) {
            pending_.assign(rest);
            return;
          } else {
            out->append("<!");
            i += 2;
            state_ = State::kMarkup;
          }
        } else if (next == '?' || next == '/') {
          out->append(rest.substr(0, 2));
          i += 2;
          state_ = State::kMarkup;
        } else if (IsNameStart(next)) {
          *out += '<';
          ++i;
          state_ = State::kStartTag;
          quote_ = 0;
          attributes_ = 0;
        } else {
          *out += '<';  // not markup; libxml2 will say so
          ++i;
        }
        break;
      }
      case State::kStartTag: {
        const size_t special = buf.find_first_of("\"'=><&", i);
        if (special == std::string_view::npos) {
          out->append(buf.substr(i));
          return;
        }
        out->append(buf.substr(i, special - i));
        i = special;
        const char c = buf[i];
        if (c == '&') {
          if (!ampersand(i)) return;
        } else if (c == '<') {
          // Never valid inside a tag: it was not one after all (or a quote
          // was never closed). Read on as text from here.
          state_ = State::kText;
        } else {
          if (c == '"' || c == '\'') {
            if (quote_ == 0) {
              quote_ = c;
            } else if (quote_ == c) {
              quote_ = 0;
            }
          } else if (quote_ == 0 && c == '=') {
            if (++attributes_ > kMaxAttributes) {
              stopped_ = true;
              return;
            }
          } else if (quote_ == 0 && c == '>') {
            state_ = State::kText;
          }
          *out += c;
          ++i;
        }
        break;
      }
    }
  }
}

}  // namespace internal

const char* DocumentKindName(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kUrlset:
      return "urlset";
    case DocumentKind::kSitemapIndex:
      return "sitemapindex";
    case DocumentKind::kRss:
      return "rss";
    case DocumentKind::kAtom:
      return "atom";
    case DocumentKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

DiscoveryResult ParseDiscoveryDocument(std::string_view body, std::string_view document_url,
                                       const DiscoveryOptions& options) {
  DiscoveryResult result;
  Collector collector(document_url, options, &result);
  const uint64_t cap = options.max_decoded_bytes;
  bool cut = false;
  {
    XmlSession session(collector);
    uint64_t fed = 0;
    bool over_cap = false;  // bytes beyond the cap were withheld from a parser that wanted them
    bool repair_decided = false;
    std::optional<internal::XmlInputFilter> filter;
    std::string filtered;
    // Everything the parser sees goes through here, so the cap holds for
    // plain and gzip'd documents alike (counted before the filter).
    const auto feed = [&](std::string_view piece) {
      const bool beyond_cap = piece.size() > cap - fed;
      if (beyond_cap) piece = piece.substr(0, static_cast<size_t>(cap - fed));
      fed += piece.size();
      if (!repair_decided && !piece.empty()) {
        repair_decided = true;
        if (!LooksWide(piece)) filter.emplace();
      }
      bool more = true;
      if (filter) {
        filtered.clear();
        filter->Feed(piece, &filtered);
        more = session.Feed(filtered) && !filter->stopped();
      } else {
        more = session.Feed(piece);
      }
      if (beyond_cap && more) over_cap = true;
      return more && !beyond_cap;
    };

    const bool gzip = IsGzip(body);
    if (gzip) {
      const GzipOutcome outcome = Gunzip(body, feed);
      switch (outcome.end) {
        case GzipEnd::kComplete:
          if (outcome.trailing > 0) {
            collector.Warn(std::to_string(outcome.trailing) + " bytes after the gzip data ignored");
          }
          break;
        case GzipEnd::kStopped:
          break;
        case GzipEnd::kCorrupt:
          cut = true;
          collector.Warn("gzip data corrupt after " + std::to_string(outcome.decoded) + " decompressed bytes (" +
                         internal::Printable(outcome.message) + "); entries complete before that are kept");
          break;
        case GzipEnd::kTruncated:
          cut = true;
          collector.Warn("gzip data ends early, after " + std::to_string(outcome.decoded) +
                         " decompressed bytes; entries complete before that are kept");
          break;
      }
    } else {
      for (size_t pos = 0; pos < body.size();) {
        const size_t n = std::min(body.size() - pos, kPiece);
        if (!feed(body.substr(pos, n))) break;
        pos += n;
      }
    }
    if (over_cap) {
      cut = true;
      collector.MarkTruncated();
      collector.Warn(std::string(gzip ? "document decompresses to" : "document is") + " more than " +
                     std::to_string(cap) + " bytes; only the first " + std::to_string(cap) +
                     " were read (entries complete by then are kept)");
    }
    if (filter) {
      filtered.clear();
      filter->Finish(&filtered);
      session.Feed(filtered);
      if (filter->repaired() > 0) {
        collector.Warn(std::to_string(filter->repaired()) +
                       " '&' that start no entity reference were read as a literal '&' (not well-formed XML)");
      }
      if (filter->stopped()) {
        cut = true;
        collector.MarkTruncated();
        collector.Warn("an element has more than " + std::to_string(internal::XmlInputFilter::kMaxAttributes) +
                       " attributes; the rest of the document is ignored (entries complete by then are kept)");
      }
    }
    session.Finish(cut);
  }
  collector.Finish();
  return result;
}

}  // namespace newshound::discovery

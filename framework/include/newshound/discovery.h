// Discovery documents: sitemaps (sitemaps.org 0.9), sitemap indexes, Google
// News sitemaps, RSS 2.0 (and 0.9x/1.0) and Atom 1.0 feeds, read for the
// article URLs they list, so a site can be crawled without a plugin knowing
// its listing pages.
//
// ParseDiscoveryDocument is a pure function over the fetched bytes: no I/O,
// no clock. It never fails and never throws on bad input: what it cannot use
// it skips, counts and describes in `warnings`. gzip is recognised by its
// magic bytes (a .xml.gz sitemap is usually served as application/x-gzip,
// not with Content-Encoding) and undone as a stream under a cap, so a
// decompression bomb costs bounded memory and at most `max_decoded_bytes`
// of work. The XML parser never loads a DTD, an external entity or anything
// from the network, and expands no entity a document declares (only the
// XML and HTML named characters are known), so XXE and entity expansion
// attacks have nothing to work with. See docs/discovery.md for which
// element wins where a document offers several.
//
// Thread safety: a free function; calls from several threads at once are
// fine.
#ifndef NEWSHOUND_DISCOVERY_H_
#define NEWSHOUND_DISCOVERY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newshound::discovery {

enum class DocumentKind {
  kUrlset,        // <urlset>: a sitemap of pages (Google News ones included)
  kSitemapIndex,  // <sitemapindex>: a sitemap of sitemaps
  kRss,           // <rss> (0.9x, 2.0) or <rdf:RDF> (RSS 0.90/1.0)
  kAtom,          // <feed> in the Atom 1.0 namespace
  kUnknown,       // anything else, or no root element at all
};

// "urlset", "sitemapindex", "rss", "atom" or "unknown", for logs.
const char* DocumentKindName(DocumentKind kind);

struct DiscoveredEntry {
  // Absolute http(s) URL without fragment: resolved against xml:base or the
  // document URL, surrounding whitespace trimmed, characters that cannot
  // appear in a URL percent-encoded (newshound::ResolveUrl). Never empty.
  std::string url;
  // When the entry was published or last changed, as Unix ms UTC; nullopt
  // when the document gives no date or one that could not be read.
  std::optional<int64_t> time_ms;
  // news:title, or the RSS item / Atom entry title: plain UTF-8 text,
  // entities decoded, whitespace runs collapsed, trimmed. May be empty.
  std::string title;
  // The entry carried a Google News <news:news> block.
  bool is_news = false;
};

struct DiscoveryOptions {
  // Entries whose known time is before this (Unix ms UTC) are skipped and
  // counted in skipped_old. Entries without a time are always kept: an
  // undated entry may be new. nullopt: nothing is skipped for its age.
  std::optional<int64_t> since_ms;
  // At most this many entries (pages plus sitemaps, whatever their fate) are
  // read from one document; the rest are ignored with a warning. 50,000 is
  // the sitemaps.org limit per file.
  size_t max_entries = 50000;
  // At most this many bytes of XML are read (after gzip is undone); the
  // rest is cut off with a warning and entries not complete by then are
  // lost. 50 MiB is the sitemaps.org limit for an uncompressed sitemap.
  uint64_t max_decoded_bytes = 50ull << 20;
};

struct DiscoveryResult {
  DocumentKind kind = DocumentKind::kUnknown;
  // urlset <url>, RSS <item>, Atom <entry>: in document order, not
  // deduplicated (the crawl's seen set does that).
  std::vector<DiscoveredEntry> pages;
  // sitemapindex <sitemap>: the sitemaps to fetch next, filtered by
  // since_ms on their lastmod like pages.
  std::vector<DiscoveredEntry> sitemaps;
  // Entries filtered out by since_ms.
  int64_t skipped_old = 0;
  // Entries dropped for having no usable URL (missing, empty, relative
  // without a usable base, not http(s), too long).
  int64_t dropped = 0;
  // The document was cut short by max_decoded_bytes or max_entries (also
  // said in a warning).
  bool truncated = false;
  // For people, not for control flow: each names what was wrong and, where
  // the parser knows it, "line N" (of the XML after gzip is undone). They
  // do not repeat the document URL; the caller adds it. Per kind of problem
  // only the first few are spelled out, then one line counts the rest.
  std::vector<std::string> warnings;
};

// Reads a sitemap, sitemap index or feed from its raw bytes as fetched
// (content coding already undone, gzip file format still on). The kind is
// decided by the root element, not by the URL or a Content-Type.
// `document_url` is where the document was fetched from (after redirects):
// the base for relative links; if it is not an absolute http(s) URL only
// absolute links are used. The XML declaration decides the charset
// (libxml2 converts; output is always valid UTF-8).
DiscoveryResult ParseDiscoveryDocument(std::string_view body, std::string_view document_url,
                                       const DiscoveryOptions& options = {});

}  // namespace newshound::discovery

#endif  // NEWSHOUND_DISCOVERY_H_

// Loading site plugins (shared libraries speaking the ABI in plugin/abi.h)
// and running them on pages.
//
// PluginRegistry scans a directory for *.so files, loads each with
// dlopen(RTLD_NOW | RTLD_LOCAL), checks its entry point and ABI version, and
// keeps a load report: every plugin loaded, every file refused with the
// reason. A refused file never stops the others from loading.
//
// A PluginInstance is one plugin configured for one site. Process() turns the
// plugin's calls into a PageAnalysis, checking what it returns: URLs must be
// absolute http(s), text valid UTF-8, field names known. Values that fail
// are dropped and listed in PageAnalysis::rejected, so one bad value costs
// that value, not the page.
//
// Thread safety: a loaded registry is read-only; PluginInstance::Process may
// be called from several threads at once (plugins promise the same).
#ifndef NEWSHOUND_PLUGIN_HOST_H_
#define NEWSHOUND_PLUGIN_HOST_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "newshound/status.h"

namespace newshound {

struct PluginInfo {
  std::string name;
  std::string version;
  std::string description;
  std::vector<std::string> hosts;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  std::string path;
};

struct PluginRefusal {
  std::string path;
  std::string reason;
};

struct PluginLoadReport {
  std::vector<PluginInfo> loaded;
  std::vector<PluginRefusal> refused;
};

enum class PageKind { kOther, kArticle, kListing };
std::string_view PageKindName(PageKind kind);

enum class LinkKind { kOther, kListing, kFeed, kSitemap, kArticle };
std::string_view LinkKindName(LinkKind kind);

struct FollowLink {
  std::string url;
  LinkKind kind = LinkKind::kOther;
};

struct RelatedItem {
  std::string title;
  std::string url;
  std::string published;  // ISO 8601, or empty
};

// What a plugin found in an article page. Fields not set are null.
struct ArticleRecord {
  std::map<std::string, std::string> fields;  // title, published, body, ...
  std::vector<std::string> authors;
  std::vector<RelatedItem> related;

  const std::string* Field(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  }
};

struct PageAnalysis {
  PageKind kind = PageKind::kOther;
  std::vector<std::string> articles;  // absolute, document order, no duplicates
  std::optional<std::string> next;
  std::vector<FollowLink> links;
  std::optional<ArticleRecord> article;  // set when kind == kArticle
  std::vector<std::string> rejected;     // values the host refused, with the reason
};

// The page as handed to a plugin.
struct PageInput {
  std::string url;
  std::string html;  // valid UTF-8
  std::string content_type;
  std::string charset;
  int64_t fetched_at_ms = 0;
};

class PluginRegistry;

class PluginInstance {
 public:
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const PluginInfo& info() const;
  // Runs the plugin. An error (the plugin reported one, or threw) names the
  // plugin and the URL.
  Result<PageAnalysis> Process(const PageInput& page) const;

 private:
  friend class PluginRegistry;
  struct Impl;
  explicit PluginInstance(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class PluginRegistry {
 public:
  PluginRegistry();
  ~PluginRegistry();  // unloads the libraries; destroy instances first
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // Loads every *.so in `dir` (sorted by name). A missing or unreadable
  // directory is an error; refused files are listed in the report.
  Status LoadDirectory(const std::string& dir);
  // Loads one file; a refusal is recorded in the report and returned.
  Status LoadFile(const std::string& path);

  const PluginLoadReport& report() const { return report_; }
  const PluginInfo* Find(const std::string& name) const;

  // Creates the plugin `name` for one site with its settings (a JSON object).
  Result<std::unique_ptr<PluginInstance>> Create(const std::string& name, const std::string& settings_json) const;

  struct Library;  // one loaded .so; opaque outside plugin_host.cpp

 private:
  std::vector<std::unique_ptr<Library>> libraries_;
  PluginLoadReport report_;
};

// Where plugins are looked for when neither the config nor the command line
// says: `<dir of the binary>/../plugins` (build tree), then
// `<dir of the binary>/../lib/newshound/plugins` (installed).
std::string DefaultPluginDir();

}  // namespace newshound

#endif  // NEWSHOUND_PLUGIN_HOST_H_

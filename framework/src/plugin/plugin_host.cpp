#include "newshound/plugin_host.h"

#include <dlfcn.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "newshound/charset.h"
#include "newshound/plugin/abi.h"
#include "newshound/url.h"

namespace newshound {
namespace fs = std::filesystem;

std::string_view PageKindName(PageKind kind) {
  switch (kind) {
    case PageKind::kArticle: return "article";
    case PageKind::kListing: return "listing";
    case PageKind::kOther: return "other";
  }
  return "other";
}

std::string_view LinkKindName(LinkKind kind) {
  switch (kind) {
    case LinkKind::kListing: return "listing";
    case LinkKind::kFeed: return "feed";
    case LinkKind::kSitemap: return "sitemap";
    case LinkKind::kArticle: return "article";
    case LinkKind::kOther: return "other";
  }
  return "other";
}

namespace {

std::string_view View(nh_str s) { return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.size); }
nh_str Nh(const std::string& s) { return nh_str{s.data(), s.size()}; }

const std::set<std::string, std::less<>>& KnownFields() {
  static const std::set<std::string, std::less<>> kFields = {
      "title", "published", "modified", "dateline", "location", "agency", "section", "section_name",
      "body", "language", "article_id", "image", "canonical_url", "summary"};
  return kFields;
}

bool ValidPluginName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// Collects one Process() call's results and validates each value as it
// arrives. Lives on the calling thread's stack.
struct Collector {
  PageAnalysis analysis;
  std::set<std::string> article_set;
  std::optional<std::string> error;

  void Reject(std::string why) { analysis.rejected.push_back(std::move(why)); }

  // An absolute http(s) URL, returned in normal form; else rejected.
  std::optional<std::string> CheckUrl(std::string_view url, const char* what) {
    if (!IsValidUtf8(url)) {
      Reject(std::string(what) + ": invalid UTF-8");
      return std::nullopt;
    }
    // NormalizeUrl fails exactly when the URL is not an absolute http(s)
    // one (it parses as ParseHttpUrl does, and nothing after that fails):
    // one parse per link, not two.
    auto normalized = NormalizeUrl(url);
    if (!normalized.ok()) {
      Reject(std::string(what) + " '" + std::string(url) + "' is not an absolute http(s) URL");
      return std::nullopt;
    }
    return std::move(*normalized);
  }

  bool CheckText(std::string_view text, const std::string& what) {
    if (IsValidUtf8(text)) return true;
    Reject(what + ": invalid UTF-8");
    return false;
  }

  ArticleRecord& Article() {
    if (!analysis.article) analysis.article.emplace();
    return *analysis.article;
  }

  static Collector& Of(void* ctx) { return *static_cast<Collector*>(ctx); }

  static int SetKind(void* ctx, nh_page_kind kind) {
    auto& self = Of(ctx);
    switch (kind) {
      case NH_PAGE_ARTICLE: self.analysis.kind = PageKind::kArticle; return 0;
      case NH_PAGE_LISTING: self.analysis.kind = PageKind::kListing; return 0;
      case NH_PAGE_OTHER: self.analysis.kind = PageKind::kOther; return 0;
    }
    self.Reject("unknown page kind " + std::to_string(static_cast<int>(kind)));
    return -1;
  }
  static int AddArticleLink(void* ctx, nh_str url) {
    auto& self = Of(ctx);
    auto checked = self.CheckUrl(View(url), "article link");
    if (!checked) return -1;
    if (self.article_set.insert(*checked).second) self.analysis.articles.push_back(std::move(*checked));
    return 0;
  }
  static int SetNext(void* ctx, nh_str url) {
    auto& self = Of(ctx);
    auto checked = self.CheckUrl(View(url), "next page");
    if (!checked) return -1;
    self.analysis.next = std::move(*checked);
    return 0;
  }
  static int AddLink(void* ctx, nh_str url, nh_link_kind kind) {
    auto& self = Of(ctx);
    auto checked = self.CheckUrl(View(url), "link");
    if (!checked) return -1;
    LinkKind link_kind = LinkKind::kOther;
    switch (kind) {
      case NH_LINK_LISTING: link_kind = LinkKind::kListing; break;
      case NH_LINK_FEED: link_kind = LinkKind::kFeed; break;
      case NH_LINK_SITEMAP: link_kind = LinkKind::kSitemap; break;
      case NH_LINK_ARTICLE: link_kind = LinkKind::kArticle; break;
      case NH_LINK_OTHER: link_kind = LinkKind::kOther; break;
      default:
        self.Reject("unknown link kind " + std::to_string(static_cast<int>(kind)));
        return -1;
    }
    for (const auto& link : self.analysis.links)
      if (link.url == *checked) return 0;
    self.analysis.links.push_back({std::move(*checked), link_kind});
    return 0;
  }
  static int SetField(void* ctx, nh_str name_str, nh_str value) {
    auto& self = Of(ctx);
    const std::string name(View(name_str));
    if (!KnownFields().count(name)) {
      self.Reject("unknown article field '" + name + "'");
      return -1;
    }
    if (!self.CheckText(View(value), "field " + name)) return -1;
    if (name == "canonical_url") {
      auto checked = self.CheckUrl(View(value), "canonical_url");
      if (!checked) return -1;
      self.Article().fields[name] = std::move(*checked);
      return 0;
    }
    self.Article().fields[name] = std::string(View(value));
    return 0;
  }
  static int AddAuthor(void* ctx, nh_str name) {
    auto& self = Of(ctx);
    if (!self.CheckText(View(name), "author")) return -1;
    self.Article().authors.emplace_back(View(name));
    return 0;
  }
  static int AddRelated(void* ctx, nh_str title, nh_str url, nh_str published) {
    auto& self = Of(ctx);
    if (!self.CheckText(View(title), "related title") || !self.CheckText(View(published), "related published"))
      return -1;
    auto checked = self.CheckUrl(View(url), "related link");
    if (!checked) return -1;
    self.Article().related.push_back({std::string(View(title)), std::move(*checked), std::string(View(published))});
    return 0;
  }
  static void SetError(void* ctx, nh_str message) {
    auto& self = Of(ctx);
    std::string text(View(message));
    if (!IsValidUtf8(text)) text = "(error message is not valid UTF-8)";
    self.error = std::move(text);
  }
};

void HostLog(void* host_ctx, nh_log_level level, nh_str message) {
  const auto* name = static_cast<const std::string*>(host_ctx);
  const std::string_view text = View(message);
  switch (level) {
    case NH_LOG_DEBUG: spdlog::debug("plugin {}: {}", *name, text); break;
    case NH_LOG_INFO: spdlog::info("plugin {}: {}", *name, text); break;
    case NH_LOG_WARN: spdlog::warn("plugin {}: {}", *name, text); break;
    default: spdlog::error("plugin {}: {}", *name, text); break;
  }
}

}  // namespace

struct PluginRegistry::Library {
  void* handle = nullptr;
  const nh_plugin* table = nullptr;
  PluginInfo info;
  nh_host_api host_api{};
  ~Library() {
    if (handle != nullptr) dlclose(handle);
  }
};

struct PluginInstance::Impl {
  const PluginRegistry::Library* library = nullptr;
  void* instance = nullptr;
};

PluginInstance::PluginInstance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PluginInstance::~PluginInstance() {
  if (impl_ && impl_->instance != nullptr) impl_->library->table->destroy(impl_->instance);
}

const PluginInfo& PluginInstance::info() const { return impl_->library->info; }

Result<PageAnalysis> PluginInstance::Process(const PageInput& page) const {
  Collector collector;
  nh_result_api api{};
  api.struct_size = sizeof(api);
  api.ctx = &collector;
  api.set_kind = &Collector::SetKind;
  api.add_article_link = &Collector::AddArticleLink;
  api.set_next = &Collector::SetNext;
  api.add_link = &Collector::AddLink;
  api.set_field = &Collector::SetField;
  api.add_author = &Collector::AddAuthor;
  api.add_related = &Collector::AddRelated;
  api.set_error = &Collector::SetError;

  nh_page input{};
  input.struct_size = sizeof(input);
  input.url = Nh(page.url);
  input.html = Nh(page.html);
  input.content_type = Nh(page.content_type);
  input.charset = Nh(page.charset);
  input.fetched_at_ms = page.fetched_at_ms;

  const int rc = impl_->library->table->process(impl_->instance, &input, &api);
  if (rc != NH_OK || collector.error) {
    return Status(ErrorCode::kPlugin, "plugin " + info().name + " failed on " + page.url + ": " +
                                          collector.error.value_or("returned error code " + std::to_string(rc)));
  }
  PageAnalysis& analysis = collector.analysis;
  if (analysis.kind != PageKind::kArticle) {
    if (analysis.article) analysis.rejected.push_back("article fields on a page not classified as an article");
    analysis.article.reset();
  } else if (!analysis.article) {
    analysis.article.emplace();
  }
  return std::move(analysis);
}

PluginRegistry::PluginRegistry() = default;
PluginRegistry::~PluginRegistry() = default;

Status PluginRegistry::LoadDirectory(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status(ErrorCode::kNotFound, "plugin directory " + dir + " does not exist or is not a directory");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".so") files.push_back(entry.path());
  }
  if (ec) return Status(ErrorCode::kIo, "cannot list plugin directory " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) (void)LoadFile(file.string());
  return Status::Ok();
}

Status PluginRegistry::LoadFile(const std::string& path) {
  auto refuse = [&](std::string reason) {
    report_.refused.push_back({path, reason});
    return Status(ErrorCode::kPlugin, path + ": " + reason);
  };
  // A file that is not a shared object at all gets a plain answer rather
  // than the loader's message about ELF headers.
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char magic[4] = {};
    const size_t n = std::fread(magic, 1, 4, f);
    std::fclose(f);
    if (n < 4 || std::string_view(magic, 4) != "\x7F" "ELF") return refuse("not a shared library (no ELF header)");
  } else {
    return refuse(std::string("cannot open: ") + std::strerror(errno));
  }
  auto library = std::make_unique<Library>();
  library->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library->handle == nullptr) {
    const char* error = dlerror();
    return refuse(std::string("cannot load: ") + (error ? error : "unknown dlopen error"));
  }
  dlerror();
  auto entry = reinterpret_cast<nh_entry_fn>(dlsym(library->handle, NH_ENTRY_SYMBOL));
  if (entry == nullptr) return refuse("no entry point '" NH_ENTRY_SYMBOL "' (not a newshound plugin?)");
  const nh_plugin* table = entry();
  if (table == nullptr) return refuse("entry point returned no plugin table");
  const std::string host_abi = std::to_string(NH_ABI_MAJOR) + "." + std::to_string(NH_ABI_MINOR);
  const std::string plugin_abi = std::to_string(table->abi_major) + "." + std::to_string(table->abi_minor);
  if (table->abi_major != NH_ABI_MAJOR || table->abi_minor > NH_ABI_MINOR) {
    return refuse("plugin ABI " + plugin_abi + " is not supported by this newshound (ABI " + host_abi +
                  "; a plugin needs the same major version and a minor version no newer)");
  }
  if (table->struct_size < offsetof(nh_plugin, process) + sizeof(table->process))
    return refuse("plugin table is too small (" + std::to_string(table->struct_size) + " bytes) for ABI " + plugin_abi);
  if (table->name == nullptr || !ValidPluginName(table->name))
    return refuse("plugin name must be 1-64 characters of [a-z0-9_-]");
  if (table->create == nullptr || table->destroy == nullptr || table->process == nullptr)
    return refuse("plugin table lacks create, destroy or process");
  if (const PluginInfo* other = Find(table->name))
    return refuse("plugin name '" + std::string(table->name) + "' is already taken by " + other->path);

  library->table = table;
  PluginInfo& info = library->info;
  info.name = table->name;
  info.version = table->version ? table->version : "";
  info.description = table->description ? table->description : "";
  for (const char* const* host = table->hosts; host != nullptr && *host != nullptr; ++host) info.hosts.emplace_back(*host);
  info.abi_major = table->abi_major;
  info.abi_minor = table->abi_minor;
  info.path = path;
  library->host_api.struct_size = sizeof(nh_host_api);
  library->host_api.log = &HostLog;
  library->host_api.host_ctx = &library->info.name;
  report_.loaded.push_back(info);
  libraries_.push_back(std::move(library));
  return Status::Ok();
}

const PluginInfo* PluginRegistry::Find(const std::string& name) const {
  for (const auto& library : libraries_)
    if (library->info.name == name) return &library->info;
  return nullptr;
}

Result<std::unique_ptr<PluginInstance>> PluginRegistry::Create(const std::string& name,
                                                               const std::string& settings_json) const {
  const Library* library = nullptr;
  for (const auto& candidate : libraries_)
    if (candidate->info.name == name) library = candidate.get();
  if (library == nullptr) {
    std::string message = "no plugin named '" + name + "'";
    for (const auto& refused : report_.refused) message += "; refused: " + refused.path + " (" + refused.reason + ")";
    return Status(ErrorCode::kNotFound, message);
  }
  char error[512] = {};
  void* instance = library->table->create(&library->host_api, Nh(settings_json), error, sizeof(error));
  if (instance == nullptr) {
    return Status(ErrorCode::kPlugin, "plugin " + name + " (" + library->info.path + ") refused its settings: " +
                                          (error[0] ? std::string(error) : std::string("no reason given")));
  }
  auto impl = std::make_unique<PluginInstance::Impl>();
  impl->library = library;
  impl->instance = instance;
  return std::unique_ptr<PluginInstance>(new PluginInstance(std::move(impl)));
}

std::string DefaultPluginDir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "plugins";
  const fs::path bin = exe.parent_path();
  for (const fs::path& candidate : {bin / ".." / "plugins", bin / ".." / "lib" / "newshound" / "plugins"}) {
    if (fs::is_directory(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
  }
  return (bin / ".." / "plugins").lexically_normal().string();
}

}  // namespace newshound

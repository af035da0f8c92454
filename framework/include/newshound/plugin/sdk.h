// newshound plugin SDK: a header-only C++ layer over the C ABI in abi.h.
//
// A plugin is one class and one macro:
//
//   class MySite {
//    public:
//     explicit MySite(const newshound::sdk::Context& ctx);   // may throw
//     void Process(const newshound::sdk::Page& page,
//                  newshound::sdk::Result& out) const;          // may throw
//   };
//   NEWSHOUND_PLUGIN(MySite, "mysite", "1.0.0", "One line about it",
//                    "www.mysite.com", "m.mysite.com")
//
// The macro writes the exported entry point and the C thunks around the
// class. Every exception thrown by the constructor or by Process is caught
// at the boundary and reported to the host as an error for that site or that
// page; nothing else is affected.
//
// Threading: Process is called concurrently from several threads on one
// instance, hence `const`. Keep per-site settings in members set by the
// constructor, and no mutable state.
#ifndef NEWSHOUND_PLUGIN_SDK_H_
#define NEWSHOUND_PLUGIN_SDK_H_

#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "newshound/plugin/abi.h"

namespace newshound::sdk {

inline nh_str ToNh(std::string_view s) { return nh_str{s.data(), s.size()}; }
inline std::string_view FromNh(nh_str s) {
  return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.size);
}

enum class PageKind { kOther = NH_PAGE_OTHER, kArticle = NH_PAGE_ARTICLE, kListing = NH_PAGE_LISTING };
enum class LinkKind {
  kOther = NH_LINK_OTHER,
  kListing = NH_LINK_LISTING,
  kFeed = NH_LINK_FEED,
  kSitemap = NH_LINK_SITEMAP,
  kArticle = NH_LINK_ARTICLE,
};

// What the plugin gets at creation.
class Context {
 public:
  Context(const nh_host_api* host, std::string_view settings_json)
      : host_(host), settings_json_(settings_json) {}
  // The site's `plugin_settings` from the config, as a JSON object text.
  std::string_view settings_json() const { return settings_json_; }
  void Log(nh_log_level level, std::string_view message) const {
    if (host_ != nullptr && host_->log != nullptr) host_->log(host_->host_ctx, level, ToNh(message));
  }

 private:
  const nh_host_api* host_;
  std::string_view settings_json_;
};

// One fetched page, UTF-8.
struct Page {
  std::string_view url;
  std::string_view html;
  std::string_view content_type;
  std::string_view charset;
  int64_t fetched_at_ms = 0;

  static Page FromAbi(const nh_page* p) {
    Page page;
    page.url = FromNh(p->url);
    page.html = FromNh(p->html);
    page.content_type = FromNh(p->content_type);
    page.charset = FromNh(p->charset);
    page.fetched_at_ms = p->fetched_at_ms;
    return page;
  }
};

// Typed front of nh_result_api. Empty optional values are not sent, so a
// field never set stays null in the record.
class Result {
 public:
  explicit Result(const nh_result_api* api) : api_(api) {}

  void SetKind(PageKind kind) { api_->set_kind(api_->ctx, static_cast<nh_page_kind>(kind)); }
  void AddArticle(std::string_view absolute_url) { api_->add_article_link(api_->ctx, ToNh(absolute_url)); }
  void SetNext(std::string_view absolute_url) { api_->set_next(api_->ctx, ToNh(absolute_url)); }
  void AddLink(std::string_view absolute_url, LinkKind kind) {
    api_->add_link(api_->ctx, ToNh(absolute_url), static_cast<nh_link_kind>(kind));
  }
  // Sets an article field; an empty value leaves the field null.
  void Set(std::string_view field, std::string_view value) {
    if (!value.empty()) api_->set_field(api_->ctx, ToNh(field), ToNh(value));
  }
  void AddAuthor(std::string_view name) { api_->add_author(api_->ctx, ToNh(name)); }
  void AddRelated(std::string_view title, std::string_view absolute_url, std::string_view published) {
    api_->add_related(api_->ctx, ToNh(title), ToNh(absolute_url), ToNh(published));
  }
  void SetError(std::string_view message) { api_->set_error(api_->ctx, ToNh(message)); }

 private:
  const nh_result_api* api_;
};

namespace detail {

inline void CopyError(char* error, size_t error_size, std::string_view message) {
  if (error == nullptr || error_size == 0) return;
  const size_t n = message.size() < error_size - 1 ? message.size() : error_size - 1;
  std::memcpy(error, message.data(), n);
  error[n] = '\0';
}

template <typename Plugin>
void* Create(const nh_host_api* host, nh_str settings, char* error, size_t error_size) noexcept {
  try {
    return new Plugin(Context(host, FromNh(settings)));
  } catch (const std::exception& e) {
    CopyError(error, error_size, e.what());
  } catch (...) {
    CopyError(error, error_size, "unknown exception in plugin constructor");
  }
  return nullptr;
}

template <typename Plugin>
void Destroy(void* instance) noexcept {
  delete static_cast<Plugin*>(instance);
}

template <typename Plugin>
int Process(void* instance, const nh_page* page, const nh_result_api* out) noexcept {
  Result result(out);
  try {
    static_cast<const Plugin*>(instance)->Process(Page::FromAbi(page), result);
    return NH_OK;
  } catch (const std::exception& e) {
    result.SetError(e.what());
  } catch (...) {
    result.SetError("unknown exception in plugin");
  }
  return NH_ERROR;
}

}  // namespace detail
}  // namespace newshound::sdk

// Defines the plugin's exported entry point. Host names (string literals)
// follow the description; there may be none.
#define NEWSHOUND_PLUGIN(Class, kName, kVersion, kDescription, ...)                         \
  extern "C" NH_EXPORT const nh_plugin* newshound_plugin_entry(void) {                      \
    static const char* const kHosts[] = {__VA_ARGS__ __VA_OPT__(, ) nullptr};             \
    static const nh_plugin kTable = {                                                       \
        sizeof(nh_plugin),                                                                  \
        NH_ABI_MAJOR,                                                                       \
        NH_ABI_MINOR,                                                                       \
        kName,                                                                              \
        kVersion,                                                                           \
        kDescription,                                                                       \
        kHosts,                                                                             \
        &::newshound::sdk::detail::Create<Class>,                                           \
        &::newshound::sdk::detail::Destroy<Class>,                                          \
        &::newshound::sdk::detail::Process<Class>,                                          \
    };                                                                                      \
    return &kTable;                                                                         \
  }

#endif  // NEWSHOUND_PLUGIN_SDK_H_

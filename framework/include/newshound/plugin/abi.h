/* newshound plugin ABI, version 1.
 *
 * This is the only contract between the crawler core and a site plugin. It is
 * plain C so that a plugin built by any C or C++ compiler, against any
 * standard library, loads into any newshound of the same ABI major version.
 *
 * Rules that keep it stable:
 *  - The plugin exports exactly one symbol, `newshound_plugin_entry`, which
 *    returns a pointer to a static `nh_plugin` table. The first three fields
 *    of that table (struct_size, abi_major, abi_minor) never move, so the host
 *    can read the version of a plugin built against any past or future header
 *    before it interprets anything else.
 *  - Tables and structs only ever grow at their end; each carries its own
 *    size, so the reader ignores fields it does not know and treats fields
 *    past the writer's size as absent.
 *  - A plugin is accepted when its abi_major equals the host's and its
 *    abi_minor is not newer than the host's.
 *  - Only C types cross: (pointer, length) UTF-8 strings that the receiver
 *    copies before the call returns, opaque handles, and function pointers.
 *    Nothing allocated on one side is freed on the other.
 *  - No C++ exception may cross. The C++ SDK (sdk.h) catches everything and
 *    turns it into an error return.
 *
 * Threading: `process` may be called concurrently from several threads on the
 * same instance. A plugin keeps its per-site configuration in the instance
 * and no mutable shared state.
 */
#ifndef NEWSHOUND_PLUGIN_ABI_H_
#define NEWSHOUND_PLUGIN_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NH_ABI_MAJOR 1
#define NH_ABI_MINOR 0

/* The name of the one exported entry point. */
#define NH_ENTRY_SYMBOL "newshound_plugin_entry"

#if defined(_WIN32)
#define NH_EXPORT __declspec(dllexport)
#else
#define NH_EXPORT __attribute__((visibility("default")))
#endif

/* A UTF-8 string that is not necessarily NUL-terminated. Valid only for the
 * duration of the call it is passed to. */
typedef struct nh_str {
  const char* data;
  size_t size;
} nh_str;

/* Page kinds a plugin can report. */
typedef enum nh_page_kind {
  NH_PAGE_OTHER = 0,   /* nothing to extract; links may still be followed */
  NH_PAGE_ARTICLE = 1, /* one article record */
  NH_PAGE_LISTING = 2  /* a list of articles, possibly paginated */
} nh_page_kind;

/* Kinds of links a plugin asks the crawler to follow (besides article links
 * and the next listing page, which have their own calls). */
typedef enum nh_link_kind {
  NH_LINK_OTHER = 0,
  NH_LINK_LISTING = 1, /* a section or index page that lists articles */
  NH_LINK_FEED = 2,    /* RSS or Atom */
  NH_LINK_SITEMAP = 3,
  NH_LINK_ARTICLE = 4  /* an article outside the main list (e.g. related) */
} nh_link_kind;

typedef enum nh_log_level {
  NH_LOG_DEBUG = 0,
  NH_LOG_INFO = 1,
  NH_LOG_WARN = 2,
  NH_LOG_ERROR = 3
} nh_log_level;

/* Services the host offers to every plugin. Grows at the end only. */
typedef struct nh_host_api {
  uint32_t struct_size;
  /* Logs one message under the plugin's name. */
  void (*log)(void* host_ctx, nh_log_level level, nh_str message);
  void* host_ctx;
} nh_host_api;

/* One fetched page, already decoded to UTF-8 by the host. */
typedef struct nh_page {
  uint32_t struct_size;
  nh_str url;             /* absolute URL the page was fetched from (after redirects) */
  nh_str html;            /* the document, valid UTF-8 */
  nh_str content_type;    /* media type without parameters, e.g. "text/html" */
  nh_str charset;         /* the charset the page was declared in (lower case) */
  int64_t fetched_at_ms;  /* Unix time of the fetch, milliseconds */
} nh_page;

/* Where a plugin writes what it found in a page. Every call copies its
 * arguments. Calls return 0 on success and a negative value when the host
 * refuses the value (the plugin may ignore it; the host records why).
 * Grows at the end only. */
typedef struct nh_result_api {
  uint32_t struct_size;
  void* ctx; /* pass back as the first argument of every call */
  int (*set_kind)(void* ctx, nh_page_kind kind);
  /* An article linked from the main content of a listing, in document order. */
  int (*add_article_link)(void* ctx, nh_str url);
  /* The next page of this listing. */
  int (*set_next)(void* ctx, nh_str url);
  /* Any other link worth following. */
  int (*add_link)(void* ctx, nh_str url, nh_link_kind kind);
  /* A field of the article record. Known string fields: title, published,
   * modified, dateline, location, agency, section, section_name, body,
   * language, article_id, image, canonical_url, summary. Dates are ISO 8601
   * UTC ("2017-10-10T20:04:00Z"). Setting a field twice replaces it. */
  int (*set_field)(void* ctx, nh_str name, nh_str value);
  /* One author, in byline order. */
  int (*add_author)(void* ctx, nh_str name);
  /* One item of the article's own related-articles block, in page order.
   * `published` may be empty when the page gives no time. */
  int (*add_related)(void* ctx, nh_str title, nh_str url, nh_str published);
  /* Explains a failed `process` call; the host records it with the URL. */
  void (*set_error)(void* ctx, nh_str message);
} nh_result_api;

/* Return codes of nh_plugin.process. */
#define NH_OK 0
#define NH_ERROR 1

typedef struct nh_plugin {
  /* --- never moves: read before anything else --- */
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  /* --- ABI 1.0 --- */
  const char* name;        /* unique, [a-z0-9_-]+ */
  const char* version;     /* the plugin's own version, free form */
  const char* description; /* one line */
  const char* const* hosts; /* NULL-terminated host names it serves; may be empty */

  /* Creates an instance for one site. `settings_json` is the site's
   * `plugin_settings` as a JSON object ("{}" when none). On failure returns
   * NULL and writes a NUL-terminated reason into error (at most error_size
   * bytes, including the NUL). */
  void* (*create)(const nh_host_api* host, nh_str settings_json, char* error,
                  size_t error_size);
  void (*destroy)(void* instance);
  /* Classifies the page and reports what it holds through `out`.
   * Returns NH_OK, or NH_ERROR after calling out->set_error. */
  int (*process)(void* instance, const nh_page* page, const nh_result_api* out);
} nh_plugin;

typedef const nh_plugin* (*nh_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* NEWSHOUND_PLUGIN_ABI_H_ */

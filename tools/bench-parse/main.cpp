// bench-parse: parse speed of site plugins, in pages per second per core.
//
// Loads the real plugin libraries (almaghribtoday.so, generic.so) through the
// real plugin host (PluginRegistry, PluginInstance::Process), reads every HTML
// page of the simulated almaghribtoday outlet (English and Arabic editions,
// plugins/almaghribtoday/testdata/*/site), decodes each to UTF-8 as the crawler
// does before it calls a plugin (the Arabic edition has windows-1256 pages),
// and times Process() one page after another on one thread. Decoding is done
// once, outside the timed loop; the core's own per-page work (charset
// detection, decoding, SHA-256 of the page, as engine.cpp's Parse() does) is
// timed by a benchmark of its own, and with the plugin by a "pipeline" one;
// libxml2's HTML parser alone ("libxml2-parse") is the floor under both
// plugins, which parse with it through the SDK.
//
// items_per_second is pages per second on one core. Page sets: article pages,
// listing pages (home, all-news and section listings) and all pages, told
// apart by the outlet's URL scheme (testdata/README.md), not by what the
// plugin decides; the setup checks that almaghribtoday agrees.
//
// Usage (docs/performance.md has the command and the results):
//   bench-parse [--plugin-dir=DIR] [--outlet-dir=DIR] [Google Benchmark flags]
#include <benchmark/benchmark.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "newshound/charset.h"
#include "newshound/log.h"
#include "newshound/plugin_host.h"
#include "sdk/html_tree_builder.h"

namespace {

namespace fs = std::filesystem;
using newshound::PageInput;
using newshound::PageKind;
using newshound::PluginInstance;
using newshound::PluginRegistry;

enum class Edition { kEnglish, kArabic };

struct EditionSpec {
  Edition edition;
  const char* dir;     // under the outlet dir
  const char* origin;  // testdata/README.md: hosts are placeholders
  const char* settings;
};

constexpr EditionSpec kEditions[] = {
    {Edition::kEnglish, "almaghribtoday", "https://en.almaghribtoday.test", R"({"edition":"en"})"},
    {Edition::kArabic, "almaghribtoday-ar", "https://www.almaghribtoday.test", R"({"edition":"ar"})"},
};

struct Page {
  Edition edition;
  PageKind kind;      // from the URL scheme
  std::string raw;    // the bytes as served
  PageInput input;    // decoded, as handed to a plugin
};

enum class Set { kArticles, kListings, kAll };

const char* SetName(Set set) {
  switch (set) {
    case Set::kArticles: return "articles";
    case Set::kListings: return "listings";
    case Set::kAll: return "all";
  }
  return "?";
}

bool InSet(const Page& page, Set set) {
  switch (set) {
    case Set::kArticles: return page.kind == PageKind::kArticle;
    case Set::kListings: return page.kind == PageKind::kListing;
    case Set::kAll: return true;
  }
  return false;
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "bench-parse: %s\n", message.c_str());
  std::exit(1);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die(path.string() + ": cannot open");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// The charset-less Content-Type the outlet server sends, so the page's own
// declaration decides (testdata/README.md, "Charsets").
constexpr std::string_view kContentType = "text/html";
constexpr int64_t kFetchedAtMs = 1'700'000'000'000;

std::vector<Page> LoadPages(const std::string& outlet_dir) {
  std::vector<Page> pages;
  for (const EditionSpec& edition : kEditions) {
    const fs::path root = fs::path(outlet_dir) / edition.dir / "site";
    if (!fs::is_directory(root)) Die(root.string() + ": not a directory (use --outlet-dir)");
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_regular_file() && entry.path().extension() == ".html") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      // URL to file: a path ending in '/' is that directory's index.html.
      std::string path = "/" + fs::relative(file, root).generic_string();
      const bool index = file.filename() == "index.html";
      if (index) path.resize(path.size() - std::strlen("index.html"));
      Page page{edition.edition, index ? PageKind::kListing : PageKind::kArticle, ReadFile(file), {}};
      const newshound::CharsetGuess guess = newshound::DetectCharset(kContentType, page.raw);
      auto html = newshound::DecodeToUtf8(page.raw, guess.charset);
      if (!html.ok()) Die(file.string() + ": " + html.status().message());
      page.input.url = edition.origin + path;
      page.input.html = std::move(*html);
      page.input.content_type = std::string(kContentType);
      page.input.charset = guess.charset;
      page.input.fetched_at_ms = kFetchedAtMs;
      pages.push_back(std::move(page));
    }
  }
  return pages;
}

std::string Sha256Hex(std::string_view data) {  // as engine.cpp's
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

// The plugin instances a benchmark runs: one per edition for almaghribtoday
// (its settings differ), the same one for both for generic.
struct Plugin {
  std::string name;
  std::unique_ptr<PluginInstance> english, arabic;
  const PluginInstance& For(Edition edition) const { return edition == Edition::kArabic ? *arabic : *english; }
};

std::unique_ptr<PluginInstance> CreateOrDie(const PluginRegistry& registry, const std::string& name,
                                            const std::string& settings) {
  auto instance = registry.Create(name, settings);
  if (!instance.ok()) Die(instance.status().message());
  return std::move(*instance);
}

void ReportSet(benchmark::State& state, const std::vector<const Page*>& pages) {
  int64_t bytes = 0;
  for (const Page* page : pages) bytes += static_cast<int64_t>(page->raw.size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(pages.size()));
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["pages"] = static_cast<double>(pages.size());
}

// One iteration runs the plugin once on every page of the set.
void BM_Plugin(benchmark::State& state, const Plugin* plugin, std::vector<const Page*> pages) {
  for (auto _ : state) {
    for (const Page* page : pages) {
      auto analysis = plugin->For(page->edition).Process(page->input);
      if (!analysis.ok()) {
        state.SkipWithError(analysis.status().message().c_str());
        return;
      }
      benchmark::DoNotOptimize(analysis);
    }
  }
  ReportSet(state, pages);
}

// The core's work per page outside the plugin (engine.cpp Parse()): find
// the charset, decode to UTF-8, hash the decoded page.
void BM_Core(benchmark::State& state, std::vector<const Page*> pages) {
  for (auto _ : state) {
    for (const Page* page : pages) {
      const newshound::CharsetGuess guess = newshound::DetectCharset(kContentType, page->raw);
      auto html = newshound::DecodeToUtf8(page->raw, guess.charset);
      std::string sha = Sha256Hex(*html);
      benchmark::DoNotOptimize(html);
      benchmark::DoNotOptimize(sha);
    }
  }
  ReportSet(state, pages);
}

// libxml2's HTML parser alone, with the options the SDK's Document::Parse
// passes: the floor under any plugin built on the SDK.
void BM_LibxmlParse(benchmark::State& state, std::vector<const Page*> pages) {
  for (auto _ : state) {
    for (const Page* page : pages) {
      const std::string& html = page->input.html;
      xmlDoc* doc = htmlReadMemory(html.data(), static_cast<int>(std::min<size_t>(html.size(), INT_MAX)),
                                   page->input.url.c_str(), "UTF-8",
                                   HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                       HTML_PARSE_NONET | HTML_PARSE_COMPACT);
      benchmark::DoNotOptimize(doc);
      if (doc != nullptr) xmlFreeDoc(doc);
    }
  }
  ReportSet(state, pages);
}

// The SDK's own tree builder on the same pages: the same tree as above
// (tests/sdk/html_tree_builder_test.cpp), the parse a plugin now pays for.
void BM_BuilderParse(benchmark::State& state, std::vector<const Page*> pages) {
  size_t declined = 0;
  for (auto _ : state) {
    for (const Page* page : pages) {
      xmlDoc* doc = newshound::sdk::internal::BuildHtmlTree(page->input.html, page->input.url.c_str());
      benchmark::DoNotOptimize(doc);
      if (doc == nullptr) {
        ++declined;
      } else {
        newshound::sdk::internal::FreeHtmlTree(doc);
      }
    }
  }
  ReportSet(state, pages);
  state.counters["declined"] = static_cast<double>(declined) / static_cast<double>(state.iterations());
}

// The core's work and the plugin's together: the whole parse CPU of a page.
void BM_Pipeline(benchmark::State& state, const Plugin* plugin, std::vector<const Page*> pages) {
  for (auto _ : state) {
    for (const Page* page : pages) {
      const newshound::CharsetGuess guess = newshound::DetectCharset(kContentType, page->raw);
      auto html = newshound::DecodeToUtf8(page->raw, guess.charset);
      PageInput input;
      input.url = page->input.url;
      input.content_type = std::string(kContentType);
      input.charset = guess.charset;
      input.fetched_at_ms = kFetchedAtMs;
      std::string sha = Sha256Hex(*html);
      input.html = std::move(*html);
      auto analysis = plugin->For(page->edition).Process(input);
      if (!analysis.ok()) {
        state.SkipWithError(analysis.status().message().c_str());
        return;
      }
      benchmark::DoNotOptimize(sha);
      benchmark::DoNotOptimize(analysis);
    }
  }
  ReportSet(state, pages);
}

std::vector<const Page*> Select(const std::vector<Page>& pages, Set set) {
  std::vector<const Page*> selected;
  for (const Page& page : pages) {
    if (InSet(page, set)) selected.push_back(&page);
  }
  return selected;
}

// Takes --NAME=VALUE out of argv (Google Benchmark refuses flags it does not know).
std::string TakeFlag(int& argc, char** argv, std::string_view name, std::string fallback) {
  const std::string prefix = "--" + std::string(name) + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).starts_with(prefix)) {
      std::string value = argv[i] + prefix.size();
      std::copy(argv + i + 1, argv + argc, argv + i);
      --argc;
      return value;
    }
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string plugin_dir = TakeFlag(argc, argv, "plugin-dir", newshound::DefaultPluginDir());
  const std::string outlet_dir = TakeFlag(argc, argv, "outlet-dir", NEWSHOUND_OUTLET_DIR);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  newshound::SetupLogging("error", 0);

  PluginRegistry registry;
  for (const char* name : {"almaghribtoday", "generic"}) {
    if (auto status = registry.LoadFile(plugin_dir + "/" + name + ".so"); !status.ok()) Die(status.message());
  }
  const std::vector<Page> pages = LoadPages(outlet_dir);

  Plugin almaghribtoday{"almaghribtoday", CreateOrDie(registry, "almaghribtoday", kEditions[0].settings),
                        CreateOrDie(registry, "almaghribtoday", kEditions[1].settings)};
  Plugin generic{"generic", CreateOrDie(registry, "generic", "{}"), nullptr};
  generic.arabic = CreateOrDie(registry, "generic", "{}");

  // The site plugin must see each page as the URL scheme says, and succeed,
  // or its numbers would time an error path.
  for (const Page& page : pages) {
    auto analysis = almaghribtoday.For(page.edition).Process(page.input);
    if (!analysis.ok()) Die(analysis.status().message());
    if (analysis->kind != page.kind) {
      Die(page.input.url + ": almaghribtoday says " + std::string(newshound::PageKindName(analysis->kind)) +
          ", the URL scheme " + std::string(newshound::PageKindName(page.kind)));
    }
    if (auto generic_analysis = generic.For(page.edition).Process(page.input); !generic_analysis.ok()) {
      Die(generic_analysis.status().message());
    }
  }

  for (Set set : {Set::kArticles, Set::kListings, Set::kAll}) {
    for (const Plugin* plugin : {&almaghribtoday, &generic}) {
      const std::string name = plugin->name + "/" + SetName(set);
      benchmark::RegisterBenchmark(name.c_str(), BM_Plugin, plugin, Select(pages, set))
          ->Unit(benchmark::kMicrosecond);
    }
  }
  benchmark::RegisterBenchmark("libxml2-parse/all", BM_LibxmlParse, Select(pages, Set::kAll))
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("builder-parse/all", BM_BuilderParse, Select(pages, Set::kAll))
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("core/all", BM_Core, Select(pages, Set::kAll))->Unit(benchmark::kMicrosecond);
  for (const Plugin* plugin : {&almaghribtoday, &generic}) {
    const std::string name = "pipeline/" + plugin->name + "/all";
    benchmark::RegisterBenchmark(name.c_str(), BM_Pipeline, plugin, Select(pages, Set::kAll))
        ->Unit(benchmark::kMicrosecond);
  }
  std::printf("bench-parse: %zu pages (%zu articles, %zu listings), plugins from %s\n", pages.size(),
              Select(pages, Set::kArticles).size(), Select(pages, Set::kListings).size(), plugin_dir.c_str());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

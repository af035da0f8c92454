#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "newshound/sink.h"

namespace newshound {
namespace json = boost::json;

namespace {

// One record written straight into its line. Its fields are fixed and in a
// fixed order, so building a json::object first (a copy of every field, the
// body included, and a hash per key) cost more than the writing itself; the
// bytes are the same as json::serialize of that object (the test compares
// the two). Every string still goes through Boost.JSON's serializer, so the
// escaping is the library's.
class RecordWriter {
 public:
  explicit RecordWriter(std::string& out) : out_(out) {}

  void OpenObject() { Open('{'); }
  void CloseObject() { Close('}'); }
  void OpenArray() { Open('['); }
  void CloseArray() { Close(']'); }

  void Key(std::string_view key) {
    Separate();
    Quoted(key);
    out_ += ':';
    after_key_ = true;
  }
  void String(std::string_view text) {
    Separate();
    Quoted(text);
  }
  void StringOrNull(const std::string* text) {
    if (text != nullptr) {
      String(*text);
    } else {
      Separate();
      out_ += "null";
    }
  }
  void Int(int64_t value) {
    Separate();
    out_ += std::to_string(value);
  }

 private:
  void Open(char bracket) {
    Separate();
    out_ += bracket;
    first_.push_back(true);
  }
  void Close(char bracket) {
    first_.pop_back();
    out_ += bracket;
  }
  void Quoted(std::string_view text) {
    serializer_.reset(text);
    char buffer[2048];
    while (!serializer_.done()) out_.append(serializer_.read(buffer, sizeof buffer));
  }
  // A comma before every member or element but the first of its container;
  // none between a key and its value.
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }

  std::string& out_;
  json::serializer serializer_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace

std::string ArticleToJson(const ArticleRecord& article, const RecordMeta* meta) {
  std::string out;
  const std::string* body = article.Field("body");
  out.reserve(1024 + (body != nullptr ? body->size() + body->size() / 8 : 0));
  RecordWriter writer(out);
  const auto field = [&](std::string_view key, const std::string* value) {
    writer.Key(key);
    writer.StringOrNull(value);
  };
  const auto named = [&](const char* name) {
    field(name, article.Field(name));
  };
  writer.OpenObject();
  if (meta != nullptr) {
    writer.Key("schema");
    writer.Int(kArticleSchemaVersion);
    field("site", &meta->site);
    field("plugin", &meta->plugin);
    field("url", &meta->url);
    writer.Key("redirects");
    writer.OpenArray();
    for (const auto& hop : meta->redirect_chain) writer.String(hop);
    writer.CloseArray();
  }
  for (const char* name : {"canonical_url", "article_id", "title", "published", "modified", "dateline", "location",
                           "agency"})
    named(name);
  writer.Key("authors");
  writer.OpenArray();
  for (const auto& author : article.authors) writer.String(author);
  writer.CloseArray();
  for (const char* name : {"section", "section_name", "language", "image", "summary"}) named(name);
  field("body", body);
  writer.Key("related");
  writer.OpenArray();
  for (const auto& item : article.related) {
    writer.OpenObject();
    field("title", &item.title);
    field("url", &item.url);
    field("published", item.published.empty() ? nullptr : &item.published);
    writer.CloseObject();
  }
  writer.CloseArray();
  if (meta != nullptr) {
    field("fetched_at", &meta->fetched_at);
    writer.Key("status");
    writer.Int(meta->status);
    field("charset", &meta->charset);
    field("content_sha256", &meta->content_sha256);
  }
  writer.CloseObject();
  return out;
}

std::string PageAnalysisToJson(const PageAnalysis& analysis) {
  json::object out;
  out["kind"] = std::string(PageKindName(analysis.kind));
  out["article"] = analysis.article ? json::parse(ArticleToJson(*analysis.article, nullptr)) : json::value(nullptr);
  json::array articles;
  for (const auto& url : analysis.articles) articles.emplace_back(url);
  out["articles"] = std::move(articles);
  out["next"] = analysis.next ? json::value(*analysis.next) : json::value(nullptr);
  json::array links;
  for (const auto& link : analysis.links)
    links.push_back(json::object{{"url", link.url}, {"kind", std::string(LinkKindName(link.kind))}});
  out["links"] = std::move(links);
  if (!analysis.rejected.empty()) {
    json::array rejected;
    for (const auto& why : analysis.rejected) rejected.emplace_back(why);
    out["rejected"] = std::move(rejected);
  }
  return json::serialize(out);
}

}  // namespace newshound

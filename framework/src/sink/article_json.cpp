#include <boost/json.hpp>

#include "newshound/sink.h"

namespace newshound {
namespace json = boost::json;

namespace {

json::value NullOr(const ArticleRecord& article, const std::string& name) {
  if (const std::string* value = article.Field(name)) return json::string(*value);
  return nullptr;
}

}  // namespace

std::string ArticleToJson(const ArticleRecord& article, const RecordMeta* meta) {
  json::object out;
  if (meta != nullptr) {
    out["schema"] = kArticleSchemaVersion;
    out["site"] = meta->site;
    out["plugin"] = meta->plugin;
    out["url"] = meta->url;
    json::array redirects;
    for (const auto& hop : meta->redirect_chain) redirects.emplace_back(hop);
    out["redirects"] = std::move(redirects);
  }
  out["canonical_url"] = NullOr(article, "canonical_url");
  out["article_id"] = NullOr(article, "article_id");
  out["title"] = NullOr(article, "title");
  out["published"] = NullOr(article, "published");
  out["modified"] = NullOr(article, "modified");
  out["dateline"] = NullOr(article, "dateline");
  out["location"] = NullOr(article, "location");
  out["agency"] = NullOr(article, "agency");
  json::array authors;
  for (const auto& author : article.authors) authors.emplace_back(author);
  out["authors"] = std::move(authors);
  out["section"] = NullOr(article, "section");
  out["section_name"] = NullOr(article, "section_name");
  out["language"] = NullOr(article, "language");
  out["image"] = NullOr(article, "image");
  out["summary"] = NullOr(article, "summary");
  out["body"] = NullOr(article, "body");
  json::array related;
  for (const auto& item : article.related) {
    related.push_back(json::object{{"title", item.title},
                                   {"url", item.url},
                                   {"published", item.published.empty() ? json::value(nullptr) : json::value(item.published)}});
  }
  out["related"] = std::move(related);
  if (meta != nullptr) {
    out["fetched_at"] = meta->fetched_at;
    out["status"] = meta->status;
    out["charset"] = meta->charset;
    out["content_sha256"] = meta->content_sha256;
  }
  return json::serialize(out);
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

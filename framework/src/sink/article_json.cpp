#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "newshound/sink.h"

namespace newshound {
namespace json = boost::json;

namespace {

json::value NullOr(const ArticleRecord& article, const std::string& name) {
  if (const std::string* value = article.Field(name)) return json::string(*value);
  return nullptr;
}

Status IoError(const std::string& path, const char* what) {
  return Status(ErrorCode::kIo, path + ": " + what + ": " + std::strerror(errno));
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

JsonlWriter::JsonlWriter(std::string path, int fd, uint64_t size, uint64_t repaired)
    : path_(std::move(path)), fd_(fd), size_(size), repaired_bytes_(repaired) {}

JsonlWriter::~JsonlWriter() {
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
  }
}

Result<std::unique_ptr<JsonlWriter>> JsonlWriter::Open(const std::string& given) {
  // A relative path is taken against the working directory, once, here: the
  // writer (its messages, and the key the crawl state keeps its offset
  // under) knows the file by its absolute path from then on, so the same
  // file is the same key wherever the next run starts from. Not
  // lexically normalized: "a/../b" is what the kernel makes of it, through
  // a symlinked "a" too.
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(given, ec);
  if (ec) return Status(ErrorCode::kIo, given + ": cannot resolve against the working directory: " + ec.message());
  const std::string path = absolute.string();
  // Errors name the file as configured, and as resolved when that differs.
  const std::string shown = path == given ? given : given + " (" + path + ")";
  const auto parent = absolute.parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return Status(ErrorCode::kIo, shown + ": cannot create directory " + parent.string() + ": " + ec.message());
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(shown, "cannot open for appending");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status status = IoError(path, "cannot stat");
    ::close(fd);
    return status;
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t repaired = 0;
  if (size > 0) {
    // Find the end of the last complete line, reading backwards in blocks.
    uint64_t keep = 0;
    char block[4096];
    uint64_t end = size;
    bool found = false;
    while (end > 0 && !found) {
      const uint64_t begin = end > sizeof(block) ? end - sizeof(block) : 0;
      const ssize_t n = ::pread(fd, block, end - begin, static_cast<off_t>(begin));
      if (n != static_cast<ssize_t>(end - begin)) {
        Status status = IoError(path, "cannot read");
        ::close(fd);
        return status;
      }
      for (ssize_t i = n - 1; i >= 0; --i) {
        if (block[i] == '\n') {
          keep = begin + static_cast<uint64_t>(i) + 1;
          found = true;
          break;
        }
      }
      end = begin;
    }
    if (keep < size) {
      if (::ftruncate(fd, static_cast<off_t>(keep)) != 0) {
        Status status = IoError(path, "cannot cut off a partial last line");
        ::close(fd);
        return status;
      }
      repaired = size - keep;
      size = keep;
    }
  }
  return std::unique_ptr<JsonlWriter>(new JsonlWriter(path, fd, size, repaired));
}

Status JsonlWriter::Append(std::string_view json) {
  if (json.find('\n') != std::string_view::npos)
    return Status(ErrorCode::kInvalidArgument, path_ + ": a JSONL record must not contain a newline");
  std::string line;
  line.reserve(json.size() + 1);
  line.append(json);
  line.push_back('\n');
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status status = IoError(path_, "cannot write");
      // Take back what part of the line made it, so the file stays whole.
      if (written > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        return status.WithContext("and the partial line could not be removed");
      }
      return status;
    }
    written += static_cast<size_t>(n);
  }
  size_ += line.size();
  return Status::Ok();
}

Result<std::vector<std::string>> JsonlWriter::ReadFrom(uint64_t offset) const {
  std::vector<std::string> lines;
  std::string pending;
  char block[65536];
  for (uint64_t at = offset; at < size_;) {
    const ssize_t n = ::pread(fd_, block, std::min<uint64_t>(sizeof(block), size_ - at), static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError(path_, "cannot read");
    at += static_cast<uint64_t>(n);
    for (ssize_t i = 0; i < n; ++i) {
      if (block[i] == '\n') {
        lines.push_back(std::move(pending));
        pending.clear();
      } else {
        pending += block[i];
      }
    }
  }
  return lines;
}

Status JsonlWriter::Sync() {
  if (::fdatasync(fd_) != 0) return IoError(path_, "cannot sync to disk");
  return Status::Ok();
}

}  // namespace newshound

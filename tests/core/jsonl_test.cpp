// The jsonl sink: whole records only, even after a crash mid-write; gzip
// members; segments that rotate by size and age; read back for recovery.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "compress.h"
#include "newshound/sink.h"
#include "sink/jsonl_sink.h"

namespace newshound {
namespace {

using sink::JsonlSink;
using test::Gunzip;

SinkConfig Jsonl(const std::filesystem::path& path, bool gzip = false, uint64_t rotate_size = 0,
                 Millis rotate_every = Millis(0)) {
  SinkConfig config;
  config.name = "test";
  config.path = path.string();
  config.gzip = gzip;
  config.rotate_size = rotate_size;
  config.rotate_every = rotate_every;
  return config;
}


class JsonlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("newshound-jsonl-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::filesystem::path dir_;
};

TEST_F(JsonlTest, FlushWritesOneLinePerRecordAndOpenCreatesTheDirectory) {
  const auto path = dir_ / "out" / "articles.jsonl";
  auto sink = JsonlSink::Open(Jsonl(path));
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  ASSERT_TRUE((*sink)->Append(R"({"a":1})").ok());
  ASSERT_TRUE((*sink)->Append(R"({"a":2})").ok());
  EXPECT_TRUE((*sink)->dirty());
  EXPECT_EQ(Read(path), "") << "nothing reaches the file before Flush";
  ASSERT_TRUE((*sink)->Flush().ok());
  EXPECT_FALSE((*sink)->dirty());
  ASSERT_TRUE((*sink)->Sync().ok());
  EXPECT_EQ(Read(path), "{\"a\":1}\n{\"a\":2}\n");
  EXPECT_EQ((*sink)->size(), Read(path).size());
  EXPECT_EQ((*sink)->path(), path.string());
}

TEST_F(JsonlTest, CutsOffAPartialLastLineOnOpen) {
  std::filesystem::create_directories(dir_);
  const auto path = dir_ / "articles.jsonl";
  std::ofstream(path, std::ios::binary) << "{\"a\":1}\n{\"a\":2}\n{\"a\":3, \"body\": \"cut sh";
  auto sink = JsonlSink::Open(Jsonl(path));
  ASSERT_TRUE(sink.ok());
  EXPECT_EQ((*sink)->repaired_bytes(), std::string("{\"a\":3, \"body\": \"cut sh").size());
  ASSERT_TRUE((*sink)->Append(R"({"a":4})").ok());
  ASSERT_TRUE((*sink)->Flush().ok());
  EXPECT_EQ(Read(path), "{\"a\":1}\n{\"a\":2}\n{\"a\":4}\n");
}

TEST_F(JsonlTest, FileWithOnlyAPartialLineBecomesEmpty) {
  std::filesystem::create_directories(dir_);
  const auto path = dir_ / "articles.jsonl";
  std::ofstream(path, std::ios::binary) << std::string(10000, 'x');
  auto sink = JsonlSink::Open(Jsonl(path));
  ASSERT_TRUE(sink.ok());
  EXPECT_EQ((*sink)->repaired_bytes(), 10000u);
  EXPECT_EQ(Read(path), "");
}

TEST_F(JsonlTest, RefusesARecordWithANewline) {
  auto sink = JsonlSink::Open(Jsonl(dir_ / "a.jsonl"));
  ASSERT_TRUE(sink.ok());
  EXPECT_FALSE((*sink)->Append("{\"a\":\n1}").ok());
}

TEST_F(JsonlTest, UnwritableDirectoryIsAnErrorNamingThePath) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  auto sink = JsonlSink::Open(Jsonl(dir_ / "file" / "articles.jsonl"));
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.status().message().find((dir_ / "file" / "articles.jsonl").string()), std::string::npos);
}

// A relative path is resolved against the working directory once, at Open:
// the sink (and the crawl state's key for it) knows it by its absolute
// path, and errors name both.
TEST_F(JsonlTest, ARelativePathIsResolvedAgainstTheWorkingDirectory) {
  const auto relative = std::filesystem::relative(dir_ / "rel" / "articles.jsonl");
  auto sink = JsonlSink::Open(Jsonl(relative));
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  EXPECT_EQ((*sink)->path(), (std::filesystem::current_path() / relative).string());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "rel" / "articles.jsonl"));

  std::ofstream(dir_ / "file") << "x";
  const auto bad = std::filesystem::relative(dir_ / "file" / "articles.jsonl");
  auto failed = JsonlSink::Open(Jsonl(bad));
  ASSERT_FALSE(failed.ok());
  const std::string both = bad.string() + " (" + (std::filesystem::current_path() / bad).string() + ")";
  EXPECT_NE(failed.status().message().find(both), std::string::npos) << failed.status().message();
}

// With gzip each flush is one gzip member: the file is a valid gzip stream
// after every flush, and a reopened one is appended to.
TEST_F(JsonlTest, GzipFlushesAreMembersOfOneValidGzipFile) {
  const auto path = dir_ / "articles.jsonl";
  {
    auto sink = JsonlSink::Open(Jsonl(path, /*gzip=*/true));
    ASSERT_TRUE(sink.ok()) << sink.status().message();
    EXPECT_EQ((*sink)->path(), path.string() + ".gz");
    ASSERT_TRUE((*sink)->Append(R"({"a":1})").ok());
    ASSERT_TRUE((*sink)->Append(R"({"a":2})").ok());
    ASSERT_TRUE((*sink)->Flush().ok());
    EXPECT_EQ(Gunzip(Read(path.string() + ".gz")), "{\"a\":1}\n{\"a\":2}\n");
    ASSERT_TRUE((*sink)->Append(R"({"a":3})").ok());
    ASSERT_TRUE((*sink)->Flush().ok());
  }
  auto again = JsonlSink::Open(Jsonl(path, /*gzip=*/true));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->repaired_bytes(), 0u);
  ASSERT_TRUE((*again)->Append(R"({"a":4})").ok());
  ASSERT_TRUE((*again)->Flush().ok());
  const std::string data = Read(path.string() + ".gz");
  EXPECT_EQ(Gunzip(data), "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":4}\n");
  EXPECT_EQ(data.substr(0, 2), "\x1f\x8b");
}

// A member cut by a crash is cut off on open; the members before it stay.
TEST_F(JsonlTest, GzipPartialLastMemberIsCutOffOnOpen) {
  const auto path = dir_ / "articles.jsonl.gz";
  uint64_t whole = 0;
  {
    auto sink = JsonlSink::Open(Jsonl(path, /*gzip=*/true));
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Append(R"({"a":1})").ok());
    ASSERT_TRUE((*sink)->Flush().ok());
    whole = (*sink)->size();
  }
  std::string cut_member = Read(path);  // a second member, cut in its middle
  std::ofstream(path, std::ios::binary | std::ios::app) << cut_member.substr(0, cut_member.size() / 2);
  auto sink = JsonlSink::Open(Jsonl(path, /*gzip=*/true));
  ASSERT_TRUE(sink.ok());
  EXPECT_EQ((*sink)->repaired_bytes(), cut_member.size() / 2);
  EXPECT_EQ((*sink)->size(), whole);
  EXPECT_EQ(Gunzip(Read(path)), "{\"a\":1}\n");
}

// ReadLines gives the records from a flush boundary on, plain and gzip.
TEST_F(JsonlTest, ReadLinesFromACheckpoint) {
  for (const bool gzip : {false, true}) {
    auto sink = JsonlSink::Open(Jsonl(dir_ / (gzip ? "g.jsonl" : "p.jsonl"), gzip));
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Append(R"({"a":1})").ok());
    ASSERT_TRUE((*sink)->Flush().ok());
    const uint64_t checkpoint = (*sink)->size();
    ASSERT_TRUE((*sink)->Append(R"({"a":2})").ok());
    ASSERT_TRUE((*sink)->Append(R"({"a":3})").ok());
    ASSERT_TRUE((*sink)->Flush().ok());
    auto lines = (*sink)->ReadLines((*sink)->path(), checkpoint);
    ASSERT_TRUE(lines.ok()) << lines.status().message();
    EXPECT_EQ(*lines, (std::vector<std::string>{R"({"a":2})", R"({"a":3})"})) << "gzip " << gzip;
    auto all = (*sink)->ReadLines((*sink)->path(), 0);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->size(), 3u);
  }
}

// rotate_size: a flush that would take the segment past it starts the next
// one; segments are named stem-stamp-seq and listed oldest first.
TEST_F(JsonlTest, RotatesBySize) {
  const std::string record = "{\"body\":\"" + std::string(1000, 'x') + "\"}";
  auto sink = JsonlSink::Open(Jsonl(dir_ / "articles.jsonl", false, /*rotate_size=*/4096));
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE((*sink)->Append(record).ok());
    ASSERT_TRUE((*sink)->Flush().ok());
  }
  auto files = (*sink)->Files();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 3u);  // 4 + 4 + 2 records of 1,012 bytes, each segment under 4,096
  size_t records = 0;
  for (const auto& file : *files) {
    const std::string name = std::filesystem::path(file).filename().string();
    EXPECT_TRUE(name.starts_with("articles-")) << name;
    EXPECT_TRUE(name.ends_with(".jsonl")) << name;
    EXPECT_LE(std::filesystem::file_size(file), 4096u) << name;
    auto lines = (*sink)->ReadLines(file, 0);
    ASSERT_TRUE(lines.ok());
    records += lines->size();
  }
  EXPECT_EQ(records, 10u);
  EXPECT_EQ((*sink)->path(), files->back());
  EXPECT_TRUE(files->front().ends_with("-000001.jsonl")) << files->front();
  EXPECT_TRUE(files->back().ends_with("-000003.jsonl")) << files->back();
}

// rotate_every: a segment older than it (by the stamp in its name) gets no
// more records; the next run goes on in a new one, numbered after it. A
// young one is appended to.
TEST_F(JsonlTest, RotatesByAgeAndResumesTheNewestSegment) {
  std::filesystem::create_directories(dir_);
  const auto old_segment = dir_ / "articles-20200101T000000Z-000007.jsonl.gz";
  std::ofstream(old_segment, std::ios::binary) << ""; // empty: a valid series of no members
  {
    auto sink = JsonlSink::Open(Jsonl(dir_ / "articles.jsonl", true, 0, /*rotate_every=*/Millis(3'600'000)));
    ASSERT_TRUE(sink.ok()) << sink.status().message();
    EXPECT_EQ((*sink)->path(), old_segment.string());
    ASSERT_TRUE((*sink)->Append(R"({"a":1})").ok());
    ASSERT_TRUE((*sink)->Flush().ok());
    EXPECT_NE((*sink)->path(), old_segment.string());
    EXPECT_TRUE((*sink)->path().ends_with("-000008.jsonl.gz")) << (*sink)->path();
    EXPECT_EQ(std::filesystem::file_size(old_segment), 0u);
  }
  auto sink = JsonlSink::Open(Jsonl(dir_ / "articles.jsonl", true, 0, Millis(3'600'000)));
  ASSERT_TRUE(sink.ok());
  EXPECT_TRUE((*sink)->path().ends_with("-000008.jsonl.gz")) << "an hour-old limit: the new segment goes on";
  ASSERT_TRUE((*sink)->Append(R"({"a":2})").ok());
  ASSERT_TRUE((*sink)->Flush().ok());
  EXPECT_EQ(Gunzip(Read((*sink)->path())), "{\"a\":1}\n{\"a\":2}\n");
  auto files = (*sink)->Files();
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 2u);
}

// A write that fails (here: past a file-size limit, as a full disk would)
// is an error naming the file, and what part of it was written is taken
// back: the file still ends at a whole record.
TEST_F(JsonlTest, AFailedWriteNamesTheFileAndLeavesOnlyWholeRecords) {
  const auto path = dir_ / "articles.jsonl";
  auto sink = JsonlSink::Open(Jsonl(path));
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Append(R"({"a":1})").ok());
  ASSERT_TRUE((*sink)->Flush().ok());
  struct rlimit before {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &before), 0);
  auto* previous = signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = before;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  ASSERT_TRUE((*sink)->Append("{\"body\":\"" + std::string(10000, 'x') + "\"}").ok());
  Status status = (*sink)->Flush();
  setrlimit(RLIMIT_FSIZE, &before);
  signal(SIGXFSZ, previous);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find(path.string() + ": cannot write"), std::string::npos) << status.message();
  EXPECT_EQ(Read(path), "{\"a\":1}\n");
  EXPECT_EQ((*sink)->size(), Read(path).size());
}

// A named pipe is a stream: written as it is (no ".gz" added, nothing read
// back), and a reader that closes its end is an error naming the pipe. The
// test process keeps SIGPIPE's default action (end the process), so this
// also shows that the sink keeps the signal from a program that did not
// ignore it.
TEST_F(JsonlTest, APipeIsWrittenInOrderAndAClosedReaderIsAnErrorNotASignal) {
  const auto path = dir_ / "articles.pipe";
  std::filesystem::create_directories(dir_);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0) << std::strerror(errno);
  ASSERT_EQ(signal(SIGPIPE, SIG_DFL), SIG_DFL) << "the test needs SIGPIPE's default action";
  const int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  auto sink = JsonlSink::Open(Jsonl(path, /*gzip=*/true));
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  EXPECT_TRUE((*sink)->stream());
  EXPECT_EQ((*sink)->path(), path.string());
  ASSERT_TRUE((*sink)->Append(R"({"a":1})").ok());
  ASSERT_TRUE((*sink)->Flush().ok());
  EXPECT_TRUE((*sink)->Sync().ok());
  auto files = (*sink)->Files();
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());
  std::string got(4096, '\0');
  const ssize_t n = ::read(reader, got.data(), got.size());
  ASSERT_GT(n, 0);
  got.resize(static_cast<size_t>(n));
  EXPECT_EQ(Gunzip(got), "{\"a\":1}\n");

  ::close(reader);
  ASSERT_TRUE((*sink)->Append(R"({"b":2})").ok());
  Status status = (*sink)->Flush();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), path.string() + ": cannot write: the reader closed the pipe");
  sigset_t pending;
  sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE)) << "a SIGPIPE was left pending";
}

TEST(ArticleJson, NullForUnsetFieldsAndMetadataWhenGiven) {
  ArticleRecord article;
  article.fields["title"] = "T \"quoted\"";
  article.fields["body"] = "line1\n\nline2";
  article.related.push_back({"R", "https://a.test/r.html", "2017-10-10T20:04:00Z"});
  RecordMeta meta;
  meta.site = "s";
  meta.plugin = "p";
  meta.url = "https://a.test/x.html";
  meta.status = 200;
  const std::string line = ArticleToJson(article, &meta);
  EXPECT_EQ(line.find('\n'), std::string::npos);  // body newlines are escaped
  auto value = boost::json::parse(line).as_object();
  EXPECT_EQ(value["schema"].as_int64(), kArticleSchemaVersion);
  EXPECT_EQ(value["title"].as_string(), "T \"quoted\"");
  EXPECT_TRUE(value["dateline"].is_null());
  EXPECT_EQ(value["body"].as_string(), "line1\n\nline2");
  EXPECT_EQ(value["related"].as_array()[0].as_object()["url"].as_string(), "https://a.test/r.html");
  EXPECT_EQ(value["url"].as_string(), "https://a.test/x.html");
  EXPECT_FALSE(boost::json::parse(ArticleToJson(article, nullptr)).as_object().contains("schema"));
}

// The record as a json::object would serialize it: what ArticleToJson wrote
// before it wrote records directly, kept here as the reference.
std::string ArticleAsJsonObject(const ArticleRecord& article, const RecordMeta* meta) {
  namespace json = boost::json;
  const auto null_or = [&](const char* name) -> json::value {
    if (const std::string* value = article.Field(name)) return json::string(*value);
    return nullptr;
  };
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
  for (const char* name : {"canonical_url", "article_id", "title", "published", "modified", "dateline", "location",
                           "agency"})
    out[name] = null_or(name);
  json::array authors;
  for (const auto& author : article.authors) authors.emplace_back(author);
  out["authors"] = std::move(authors);
  for (const char* name : {"section", "section_name", "language", "image", "summary", "body"}) out[name] = null_or(name);
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

// Random records (every control character, quotes, backslashes, UTF-8,
// long and empty strings, fields set or not, empty and full lists): the
// same bytes as the json::object serialization, with and without metadata.
TEST(ArticleJson, WritesTheBytesAJsonObjectWould) {
  std::mt19937 random(11);
  const auto text = [&] {
    static const std::string pieces[] = {"a", " ", "\"", "\\", "/", "\n", "\t", "\r", "\b", "\f", std::string(1, '\0'),
                                         "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x80\x94", "\xf0\x9f\x93\xb0",
                                         "\u0645\u0631\u062d\u0628\u0627", std::string(3000, 'x')};
    std::string out;
    const int count = static_cast<int>(random() % 12);
    for (int i = 0; i < count; ++i) out += pieces[random() % (sizeof(pieces) / sizeof(pieces[0]))];
    return out;
  };
  const char* const names[] = {"canonical_url", "article_id", "title", "published", "modified", "dateline", "location",
                               "agency", "section", "section_name", "language", "image", "summary", "body"};
  for (int n = 0; n < 300; ++n) {
    ArticleRecord article;
    for (const char* name : names)
      if (random() % 3 != 0) article.fields[name] = text();
    for (int i = static_cast<int>(random() % 4); i > 0; --i) article.authors.push_back(text());
    for (int i = static_cast<int>(random() % 4); i > 0; --i)
      article.related.push_back({text(), text(), random() % 2 == 0 ? std::string() : text()});
    RecordMeta meta;
    meta.site = text();
    meta.plugin = text();
    meta.url = text();
    for (int i = static_cast<int>(random() % 3); i > 0; --i) meta.redirect_chain.push_back(text());
    meta.fetched_at = text();
    meta.status = static_cast<int>(random() % 600) - 1;
    meta.charset = text();
    meta.content_sha256 = text();
    ASSERT_EQ(ArticleToJson(article, &meta), ArticleAsJsonObject(article, &meta)) << "record " << n;
    ASSERT_EQ(ArticleToJson(article, nullptr), ArticleAsJsonObject(article, nullptr)) << "record " << n;
  }
}

}  // namespace
}  // namespace newshound

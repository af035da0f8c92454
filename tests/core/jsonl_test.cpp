// The JSONL writer: whole lines only, even after a crash mid-write.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "newshound/sink.h"

namespace newshound {
namespace {

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

TEST_F(JsonlTest, AppendsOneLinePerRecordAndCreatesTheDirectory) {
  const auto path = dir_ / "out" / "articles.jsonl";
  auto writer = JsonlWriter::Open(path.string());
  ASSERT_TRUE(writer.ok()) << writer.status().message();
  ASSERT_TRUE((*writer)->Append(R"({"a":1})").ok());
  ASSERT_TRUE((*writer)->Append(R"({"a":2})").ok());
  ASSERT_TRUE((*writer)->Sync().ok());
  EXPECT_EQ(Read(path), "{\"a\":1}\n{\"a\":2}\n");
}

TEST_F(JsonlTest, CutsOffAPartialLastLineOnOpen) {
  std::filesystem::create_directories(dir_);
  const auto path = dir_ / "articles.jsonl";
  std::ofstream(path, std::ios::binary) << "{\"a\":1}\n{\"a\":2}\n{\"a\":3, \"body\": \"cut sh";
  auto writer = JsonlWriter::Open(path.string());
  ASSERT_TRUE(writer.ok());
  EXPECT_EQ((*writer)->repaired_bytes(), std::string("{\"a\":3, \"body\": \"cut sh").size());
  ASSERT_TRUE((*writer)->Append(R"({"a":4})").ok());
  EXPECT_EQ(Read(path), "{\"a\":1}\n{\"a\":2}\n{\"a\":4}\n");
}

TEST_F(JsonlTest, FileWithOnlyAPartialLineBecomesEmpty) {
  std::filesystem::create_directories(dir_);
  const auto path = dir_ / "articles.jsonl";
  std::ofstream(path, std::ios::binary) << std::string(10000, 'x');
  auto writer = JsonlWriter::Open(path.string());
  ASSERT_TRUE(writer.ok());
  EXPECT_EQ((*writer)->repaired_bytes(), 10000u);
  EXPECT_EQ(Read(path), "");
}

TEST_F(JsonlTest, RefusesARecordWithANewline) {
  auto writer = JsonlWriter::Open((dir_ / "a.jsonl").string());
  ASSERT_TRUE(writer.ok());
  auto status = (*writer)->Append("{\"a\":\n1}");
  EXPECT_FALSE(status.ok());
}

TEST_F(JsonlTest, UnwritableDirectoryIsAnErrorNamingThePath) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  auto writer = JsonlWriter::Open((dir_ / "file" / "articles.jsonl").string());
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.status().message().find((dir_ / "file" / "articles.jsonl").string()), std::string::npos);
}

// A relative path is resolved against the working directory once, at Open:
// the writer (and the crawl state's key for it) knows it by its absolute
// path, and errors name both.
TEST_F(JsonlTest, ARelativePathIsResolvedAgainstTheWorkingDirectory) {
  const auto relative = std::filesystem::relative(dir_ / "rel" / "articles.jsonl");
  auto writer = JsonlWriter::Open(relative.string());
  ASSERT_TRUE(writer.ok()) << writer.status().message();
  EXPECT_EQ((*writer)->path(), (std::filesystem::current_path() / relative).string());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "rel" / "articles.jsonl"));

  std::ofstream(dir_ / "file") << "x";
  const auto bad = std::filesystem::relative(dir_ / "file" / "articles.jsonl");
  auto failed = JsonlWriter::Open(bad.string());
  ASSERT_FALSE(failed.ok());
  const std::string both = bad.string() + " (" + (std::filesystem::current_path() / bad).string() + ")";
  EXPECT_NE(failed.status().message().find(both), std::string::npos)
      << failed.status().message();
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

}  // namespace
}  // namespace newshound

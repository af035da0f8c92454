// `newshound search DB QUERY...`: the real binary on a store built through
// SqliteArticleStore in a temporary directory. Exit codes like grep's: 0
// hits, 1 none, 2 an error.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "sink/sqlite_store.h"
#include "test_support.h"

namespace newshound {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  test::ExitStatus status;
  std::string out;
  std::string err;
};

CliRun Newshound(std::vector<std::string> args) {
  args.insert(args.begin(), (test::BinDir() / "newshound").string());
  test::Subprocess process(args);
  auto status = process.Wait(std::chrono::seconds(60));
  if (!status) status = process.Terminate(SIGKILL);
  return {*status, process.Stdout(), process.Stderr()};
}

class SearchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteArticleStore::Open(db_.string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    Add(**store, "https://news.test/harbour", "Harbour reopens in Tangier", "2026-01-05T08:00:00Z",
        "Ships returned on Monday.\n\nThe storm had closed the port for a week.");
    Add(**store, "https://news.test/final", "Cup final tonight", "2026-01-06T20:00:00Z",
        "Fans travelled from Tangier to the stadium.");
    Add(**store, "https://news.test/weather", "Weather", "", "Sun in Agadir.");
    ASSERT_TRUE((*store)->Flush().ok());
  }

  void Add(SqliteArticleStore& store, const std::string& url, const std::string& title, const std::string& published,
           const std::string& body) {
    ArticleRecord article;
    article.fields["canonical_url"] = url;
    article.fields["title"] = title;
    if (!published.empty()) article.fields["published"] = published;
    article.fields["body"] = body;
    RecordMeta meta;
    meta.site = "news";
    meta.plugin = "testplugin";
    meta.url = url;
    ASSERT_TRUE(store.Upsert(article, meta, ArticleToJson(article, &meta)).ok());
  }

  test::TempDir dir_;
  fs::path db_ = dir_ / "articles.sqlite3";
};

TEST_F(SearchCli, PrintsTitleDateUrlAndSnippetOfEachHitBestFirst) {
  CliRun run = Newshound({"search", db_.string(), "tangier"});
  EXPECT_EQ(run.status.exit_code, 0) << run.status.ToString() << run.err;
  // The title hit first, then the body hit.
  const size_t harbour = run.out.find("1. Harbour reopens in Tangier\n");
  const size_t final_ = run.out.find("2. Cup final tonight\n");
  ASSERT_NE(harbour, std::string::npos) << run.out;
  ASSERT_NE(final_, std::string::npos) << run.out;
  EXPECT_LT(harbour, final_);
  EXPECT_NE(run.out.find("   2026-01-05T08:00:00Z  https://news.test/harbour\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("from [Tangier] to the stadium"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("Weather"), std::string::npos) << run.out;
}

TEST_F(SearchCli, SnippetsAreOneLineAndWordsAreJoinedWithAnd) {
  CliRun run = Newshound({"search", db_.string(), "storm", "port"});
  EXPECT_EQ(run.status.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("Ships returned on Monday. The [storm] had closed the [port]"), std::string::npos) << run.out;
  CliRun undated = Newshound({"search", db_.string(), "agadir"});
  EXPECT_EQ(undated.status.exit_code, 0) << undated.err;
  EXPECT_NE(undated.out.find("   (no date)  https://news.test/weather\n"), std::string::npos) << undated.out;
}

TEST_F(SearchCli, JsonPrintsOneObjectPerHitAndLimitCutsTheList) {
  CliRun run = Newshound({"search", "--json", db_.string(), "tangier"});
  ASSERT_EQ(run.status.exit_code, 0) << run.err;
  std::vector<boost::json::object> lines;
  size_t start = 0;
  while (start < run.out.size()) {
    const size_t end = run.out.find('\n', start);
    ASSERT_NE(end, std::string::npos) << run.out;
    lines.push_back(boost::json::parse(run.out.substr(start, end - start)).as_object());
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), 2u) << run.out;
  EXPECT_EQ(lines[0].at("url").as_string(), "https://news.test/harbour");
  EXPECT_EQ(lines[0].at("canonical_url").as_string(), "https://news.test/harbour");
  EXPECT_EQ(lines[0].at("title").as_string(), "Harbour reopens in Tangier");
  EXPECT_EQ(lines[0].at("published").as_string(), "2026-01-05T08:00:00Z");
  EXPECT_EQ(lines[0].at("site").as_string(), "news");
  EXPECT_NE(std::string(lines[1].at("snippet").as_string()).find("[Tangier]"), std::string::npos);
  EXPECT_LE(lines[0].at("rank").as_double(), lines[1].at("rank").as_double());

  CliRun limited = Newshound({"search", db_.string(), "tangier", "--limit", "1", "--json"});
  ASSERT_EQ(limited.status.exit_code, 0) << limited.err;
  EXPECT_EQ(std::count(limited.out.begin(), limited.out.end(), '\n'), 1) << limited.out;
  EXPECT_NE(limited.out.find("https://news.test/harbour"), std::string::npos) << limited.out;

  CliRun untitled = Newshound({"search", "--json", db_.string(), "agadir"});
  ASSERT_EQ(untitled.status.exit_code, 0) << untitled.err;
  EXPECT_TRUE(boost::json::parse(untitled.out).as_object().at("published").is_null()) << untitled.out;
}

TEST_F(SearchCli, NoHitsSaysSoAndExits1) {
  CliRun run = Newshound({"search", db_.string(), "marrakesh"});
  EXPECT_EQ(run.status.exit_code, 1) << run.status.ToString();
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find("no articles match marrakesh"), std::string::npos) << run.err;
}

TEST_F(SearchCli, AMissingDatabaseIsNamedAndExits2) {
  const fs::path missing = dir_ / "nope.sqlite3";
  CliRun run = Newshound({"search", missing.string(), "tangier"});
  EXPECT_EQ(run.status.exit_code, 2) << run.status.ToString();
  EXPECT_NE(run.err.find(missing.string()), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(missing));
}

TEST_F(SearchCli, ABadQueryIsNamedAndExits2) {
  CliRun run = Newshound({"search", db_.string(), "\"unterminated"});
  EXPECT_EQ(run.status.exit_code, 2) << run.status.ToString();
  EXPECT_NE(run.err.find(db_.string() + ": bad search query '\"unterminated'"), std::string::npos) << run.err;
}

TEST_F(SearchCli, MissingArgumentsAndABadLimitAreUsageErrors) {
  EXPECT_EQ(Newshound({"search", db_.string()}).status.exit_code, 2);
  CliRun run = Newshound({"search", db_.string(), "tangier", "--limit", "0"});
  EXPECT_EQ(run.status.exit_code, 2) << run.out;
  EXPECT_NE(run.err.find("--limit"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace newshound

// Plugin loading and isolation, with real .so files and real dlopen.
#include <gtest/gtest.h>

#include <algorithm>

#include "newshound/plugin_host.h"
#include "test_support.h"

namespace newshound {
namespace {

const std::string kDir = NEWSHOUND_TEST_PLUGIN_DIR;

const PluginRefusal* RefusalFor(const PluginLoadReport& report, const std::string& file) {
  for (const auto& refusal : report.refused)
    if (refusal.path == kDir + "/" + file) return &refusal;
  return nullptr;
}

class PluginHostTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(registry_.LoadDirectory(kDir).ok()); }
  std::unique_ptr<PluginInstance> Create(const std::string& settings = "{}") {
    auto instance = registry_.Create("testgood", settings);
    EXPECT_TRUE(instance.ok()) << instance.status().message();
    return instance.ok() ? std::move(*instance) : nullptr;
  }
  PageInput Page(const std::string& url) {
    PageInput page;
    page.url = url;
    page.html = "<html><body>hello world, this is a page</body></html>";
    page.content_type = "text/html";
    page.charset = "utf-8";
    return page;
  }
  PluginRegistry registry_;
};

TEST_F(PluginHostTest, Registry_LoadsAGoodPluginWithItsMetadata) {
  const PluginInfo* info = registry_.Find("testgood");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->version, "9.9.9");
  EXPECT_EQ(info->abi_major, 1u);
  EXPECT_EQ(info->abi_minor, 0u);
  EXPECT_EQ(info->hosts, std::vector<std::string>{"good.test"});
  EXPECT_EQ(info->path, kDir + "/testgood.so");
}

TEST_F(PluginHostTest, Registry_RefusesAnotherAbiMajorNamingBothVersions) {
  const PluginRefusal* refusal = RefusalFor(registry_.report(), "abi2.so");
  ASSERT_NE(refusal, nullptr);
  EXPECT_NE(refusal->reason.find("plugin ABI 2.0 is not supported by this newshound (ABI 1.0"), std::string::npos)
      << refusal->reason;
  EXPECT_EQ(registry_.Find("future"), nullptr);
}

TEST_F(PluginHostTest, Registry_RefusesANewerAbiMinor) {
  const PluginRefusal* refusal = RefusalFor(registry_.report(), "newer_minor.so");
  ASSERT_NE(refusal, nullptr);
  EXPECT_NE(refusal->reason.find("plugin ABI 1.99"), std::string::npos) << refusal->reason;
}

TEST_F(PluginHostTest, Registry_RefusesALibraryWithoutTheEntryPoint) {
  const PluginRefusal* refusal = RefusalFor(registry_.report(), "noentry.so");
  ASSERT_NE(refusal, nullptr);
  EXPECT_NE(refusal->reason.find("no entry point 'newshound_plugin_entry'"), std::string::npos) << refusal->reason;
}

TEST_F(PluginHostTest, Registry_RefusesAFileThatIsNotASharedLibrary) {
  const PluginRefusal* refusal = RefusalFor(registry_.report(), "notalibrary.so");
  ASSERT_NE(refusal, nullptr);
  EXPECT_NE(refusal->reason.find("not a shared library"), std::string::npos) << refusal->reason;
}

TEST_F(PluginHostTest, Registry_RefusesADuplicateName) {
  EXPECT_FALSE(registry_.LoadFile(kDir + "/testgood.so").ok());
  EXPECT_NE(registry_.report().refused.back().reason.find("already taken"), std::string::npos);
}

TEST_F(PluginHostTest, Registry_MissingDirectoryIsAnError) {
  PluginRegistry registry;
  Status status = registry.LoadDirectory("/nonexistent/plugins");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/nonexistent/plugins"), std::string::npos);
}

TEST_F(PluginHostTest, Registry_UnknownPluginNameListsTheRefusedFiles) {
  auto instance = registry_.Create("future", "{}");
  ASSERT_FALSE(instance.ok());
  EXPECT_NE(instance.status().message().find("no plugin named 'future'"), std::string::npos);
  EXPECT_NE(instance.status().message().find("abi2.so"), std::string::npos);
}

TEST_F(PluginHostTest, Instance_ConstructorExceptionBecomesASiteError) {
  auto instance = registry_.Create("testgood", R"({"fail": true})");
  ASSERT_FALSE(instance.ok());
  EXPECT_NE(instance.status().message().find("setting 'fail' asks this plugin to refuse"), std::string::npos)
      << instance.status().message();
}

TEST_F(PluginHostTest, Instance_ListingLinksAreCheckedAndDeduplicated) {
  auto plugin = Create();
  ASSERT_TRUE(plugin);
  auto analysis = plugin->Process(Page("https://good.test/"));
  ASSERT_TRUE(analysis.ok()) << analysis.status().message();
  EXPECT_EQ(analysis->kind, PageKind::kListing);
  EXPECT_EQ(analysis->articles, (std::vector<std::string>{"https://good.test/a.html", "https://good.test/c.html"}));
  ASSERT_TRUE(analysis->next);
  EXPECT_EQ(*analysis->next, "https://good.test/page/2/");
  ASSERT_EQ(analysis->links.size(), 1u);
  EXPECT_EQ(analysis->links[0].kind, LinkKind::kListing);
  ASSERT_EQ(analysis->rejected.size(), 1u);
  EXPECT_NE(analysis->rejected[0].find("'relative/b.html' is not an absolute http(s) URL"), std::string::npos);
  EXPECT_FALSE(analysis->article);
}

TEST_F(PluginHostTest, Instance_ArticleRecordCarriesFieldsAuthorsAndRelated) {
  auto plugin = Create();
  auto analysis = plugin->Process(Page("https://good.test/article-1.html"));
  ASSERT_TRUE(analysis.ok());
  ASSERT_EQ(analysis->kind, PageKind::kArticle);
  ASSERT_TRUE(analysis->article);
  EXPECT_EQ(*analysis->article->Field("title"), "A title");
  EXPECT_EQ(*analysis->article->Field("body"), "<html><body>hello wo");
  EXPECT_EQ(analysis->article->authors, std::vector<std::string>{"Jane Doe"});
  ASSERT_EQ(analysis->article->related.size(), 1u);
  EXPECT_EQ(analysis->article->related[0].published, "2017-10-10T20:04:00Z");
}

TEST_F(PluginHostTest, Instance_ExceptionCostsThePageNotTheProcess) {
  auto plugin = Create();
  auto analysis = plugin->Process(Page("https://good.test/throw"));
  ASSERT_FALSE(analysis.ok());
  EXPECT_NE(analysis.status().message().find("plugin testgood failed on https://good.test/throw: boom on purpose"),
            std::string::npos)
      << analysis.status().message();
  // The same instance keeps working.
  EXPECT_TRUE(plugin->Process(Page("https://good.test/")).ok());
}

TEST_F(PluginHostTest, Instance_InvalidUtf8AndUnknownFieldsAreRefusedValueByValue) {
  auto plugin = Create();
  auto analysis = plugin->Process(Page("https://good.test/bad"));
  ASSERT_TRUE(analysis.ok());
  ASSERT_TRUE(analysis->article);
  EXPECT_EQ(analysis->article->Field("title"), nullptr);
  EXPECT_EQ(*analysis->article->Field("body"), "kept");
  EXPECT_EQ(analysis->rejected.size(), 2u);
}

TEST(PluginsCommand, ListsLoadedPluginsAndRefusedFiles) {
  test::Subprocess cli({std::string(NEWSHOUND_BIN_DIR) + "/newshound", "plugins", "--plugin-dir", kDir});
  auto status = cli.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status && status->success()) << cli.Stderr();
  const std::string out = cli.Stdout();
  EXPECT_NE(out.find("testgood 9.9.9 abi 1.0 " + kDir + "/testgood.so hosts=good.test"), std::string::npos) << out;
  EXPECT_NE(out.find("refused " + kDir + "/abi2.so: plugin ABI 2.0"), std::string::npos) << out;
  EXPECT_NE(out.find("refused " + kDir + "/noentry.so: no entry point"), std::string::npos) << out;
  EXPECT_NE(out.find("refused " + kDir + "/notalibrary.so: not a shared library"), std::string::npos) << out;
}

TEST(PluginsCommand, DefaultDirectoryIsNextToTheBinary) {
  test::Subprocess cli({std::string(NEWSHOUND_BIN_DIR) + "/newshound", "plugins"});
  auto status = cli.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status && status->success()) << cli.Stderr();
  EXPECT_NE(cli.Stdout().find("almaghribtoday "), std::string::npos) << cli.Stdout();
}

}  // namespace
}  // namespace newshound

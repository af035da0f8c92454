// ContainedPath and SafeFileName (common/contained_path.h) against hostile
// names: every result names a file inside the root, whatever the name.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "common/contained_path.h"
#include "test_support.h"

namespace newshound {
namespace {

namespace fs = std::filesystem;

// Whether `path` is `root` or below it, element by element, once both are
// lexically normal.
bool Under(const fs::path& path, const fs::path& root) {
  const fs::path p = path.lexically_normal();
  const fs::path r = root.lexically_normal();
  auto it = p.begin();
  for (const auto& element : r) {
    if (element.empty()) continue;
    if (it == p.end() || *it != element) return false;
    ++it;
  }
  return true;
}

// The checks every result must pass, whatever the input.
void ExpectSafe(const std::string& name) {
  const std::string safe = SafeFileName(name);
  SCOPED_TRACE("name: " + name + " -> " + safe);
  EXPECT_FALSE(safe.empty());
  EXPECT_LE(safe.size(), kMaxFileNameBytes);
  EXPECT_EQ(safe.find('/'), std::string::npos);
  EXPECT_EQ(safe.find('\\'), std::string::npos);
  EXPECT_EQ(safe.find('\0'), std::string::npos);
  for (char c : safe) EXPECT_GE(static_cast<unsigned char>(c), 0x20u);
  EXPECT_NE(safe.front(), '.');
  EXPECT_NE(safe, ".");
  EXPECT_NE(safe, "..");
  EXPECT_EQ(SafeFileName(safe), safe) << "not a fixed point";
}

TEST(SafeFileName, KeepsOrdinaryNamesAsTheyAre) {
  EXPECT_EQ(SafeFileName("almaghribtoday-en"), "almaghribtoday-en");
  EXPECT_EQ(SafeFileName("news.example.test"), "news.example.test");
  EXPECT_EQ(SafeFileName("news.example.test:8443"), "news.example.test:8443");
  EXPECT_EQ(SafeFileName("2026-11-24T15:37:43Z.warc.gz"), "2026-11-24T15:37:43Z.warc.gz");
  EXPECT_EQ(SafeFileName("file.name."), "file.name.");
  EXPECT_EQ(SafeFileName("100%"), "100%");
}

TEST(SafeFileName, NeverLeavesADotSegmentOrASeparator) {
  EXPECT_EQ(SafeFileName("../../etc/passwd"), "___.._etc_passwd");  // one name: the inner ".." is no segment
  EXPECT_EQ(SafeFileName("/etc/passwd"), "_etc_passwd");
  EXPECT_EQ(SafeFileName(".."), "__");
  EXPECT_EQ(SafeFileName("."), "_");
  EXPECT_EQ(SafeFileName("a/../../b"), "a_.._.._b");
  EXPECT_EQ(SafeFileName("..\\..\\windows"), "___.._windows");
  EXPECT_EQ(SafeFileName("a\\b"), "a_b");
  for (const char* name : {"../../etc/passwd", "/etc/passwd", "..", ".", "a/../../b", "\\\\server\\share", "/", "//",
                           "./", ".../", "~/.ssh/id_rsa"})
    ExpectSafe(name);
}

TEST(SafeFileName, LeadingDotsDoNotHideFiles) {
  EXPECT_EQ(SafeFileName(".hidden"), "_hidden");
  EXPECT_EQ(SafeFileName("...x"), "___x");
  EXPECT_EQ(SafeFileName("a.b"), "a.b");  // dots inside are fine
}

TEST(SafeFileName, PercentDecodingCannotBringThemBack) {
  EXPECT_EQ(SafeFileName("%2e%2e%2f"), "___");
  EXPECT_EQ(SafeFileName("%2E%2E"), "__");
  EXPECT_EQ(SafeFileName("%2e%2e%2fetc%2fpasswd"), "___etc_passwd");
  EXPECT_EQ(SafeFileName("..%2f..%2fetc"), "___.._etc");
  EXPECT_EQ(SafeFileName("a%5cb"), "a_b");
  // Escaped twice, or thrice: decoded until nothing is left to decode.
  EXPECT_EQ(SafeFileName("%252e%252e%252f"), "___");
  EXPECT_EQ(SafeFileName("%25252e%25252e"), "__");
  EXPECT_EQ(SafeFileName("%%32e%%32e"), "__");
  EXPECT_EQ(SafeFileName("%00"), "_");
  // What is left holds no escape, so decoding it again changes nothing.
  for (const char* name : {"%2e%2e%2f", "%252e%252e%252f", "%%32e", "%zz", "50%25off", "%", "%2", "%%"}) {
    const std::string safe = SafeFileName(name);
    for (size_t i = 0; i + 2 < safe.size(); ++i)
      EXPECT_FALSE(safe[i] == '%' && std::isxdigit(static_cast<unsigned char>(safe[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(safe[i + 2])))
          << name << " -> " << safe;
    ExpectSafe(name);
  }
}

TEST(SafeFileName, ControlCharactersAndNulBytesBecomeUnderscores) {
  EXPECT_EQ(SafeFileName(std::string("a\0b", 3)), "a_b");
  EXPECT_EQ(SafeFileName(std::string("\0", 1)), "_");
  EXPECT_EQ(SafeFileName("a\nb\rc\td\x1b[31m"), "a_b_c_d_[31m");
  EXPECT_EQ(SafeFileName("del\x7f"), "del_");
  EXPECT_EQ(SafeFileName("c1\xc2\x85x"), "c1_x");           // U+0085 NEL
  EXPECT_EQ(SafeFileName("a\xe2\x80\xae" "txt.exe"), "a_txt.exe");  // U+202E RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(SafeFileName("a\xe2\x81\xa6x"), "a_x");          // U+2066 LEFT-TO-RIGHT ISOLATE
  ExpectSafe(std::string("\0\0..\0/", 6));
}

TEST(SafeFileName, BytesThatAreNotUtf8BecomeUnderscores) {
  EXPECT_EQ(SafeFileName("a\xff" "b"), "a_b");
  EXPECT_EQ(SafeFileName("\xc0\xaf"), "__");          // overlong '/'
  EXPECT_EQ(SafeFileName("\xe0\x80\xaf"), "___");     // overlong '/', 3 bytes
  EXPECT_EQ(SafeFileName("\xed\xa0\x80"), "___");     // a surrogate
  EXPECT_EQ(SafeFileName("%c0%af"), "__");            // overlong '/' from escapes
  EXPECT_EQ(SafeFileName("x\xd8"), "x_");             // cut short
  ExpectSafe("\xc0\xae\xc0\xae\xc0\xaf");
}

TEST(SafeFileName, EmptyBecomesUnderscore) { EXPECT_EQ(SafeFileName(""), "_"); }

TEST(SafeFileName, ArabicNamesStayReadable) {
  const std::string name = "المغرب-اليوم";
  EXPECT_EQ(SafeFileName(name), name);
  // Percent-encoded, as in a URL path: decoded to the same readable name.
  EXPECT_EQ(SafeFileName("%D8%A7%D9%84%D9%85%D8%BA%D8%B1%D8%A8-%D8%A7%D9%84%D9%8A%D9%88%D9%85"), name);
  EXPECT_EQ(SafeFileName("أخبار/../اليوم"), "أخبار_.._اليوم");
  EXPECT_EQ(SafeFileName("新闻"), "新闻");
  ExpectSafe(name);
}

TEST(SafeFileName, LongNamesAreCutOnACodePointAndKeepApart) {
  const std::string ascii(1000, 'a');
  const std::string safe = SafeFileName(ascii);
  EXPECT_EQ(safe.size(), kMaxFileNameBytes);
  EXPECT_EQ(safe.substr(0, 200), std::string(200, 'a'));
  EXPECT_EQ(safe[kMaxFileNameBytes - 17], '~');
  ExpectSafe(ascii);
  // Two names that differ only past the cut are two files.
  EXPECT_NE(SafeFileName(std::string(1000, 'a') + "1"), SafeFileName(std::string(1000, 'a') + "2"));
  // Two-byte letters: the cut never splits one.
  std::string arabic;
  while (arabic.size() < 1000) arabic += "ب";
  const std::string cut = SafeFileName(arabic);
  EXPECT_LE(cut.size(), kMaxFileNameBytes);
  const std::string prefix = cut.substr(0, cut.find('~'));
  EXPECT_EQ(prefix.size() % 2, 0u);
  EXPECT_EQ(prefix, arabic.substr(0, prefix.size()));
  ExpectSafe(arabic);
  // Exactly at the limit: kept whole.
  EXPECT_EQ(SafeFileName(std::string(kMaxFileNameBytes, 'x')), std::string(kMaxFileNameBytes, 'x'));
  // Three-byte letters over the limit.
  std::string chinese;
  while (chinese.size() < 600) chinese += "新";
  ExpectSafe(chinese);
}

class ContainedPathTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  fs::path root() const { return dir_.path() / "root"; }
};

TEST_F(ContainedPathTest, JoinsSafeNamesUnderTheRoot) {
  auto path = ContainedPath(root(), {"almaghribtoday-en", "2026-11-24.jsonl"});
  ASSERT_TRUE(path.ok()) << path.status().message();
  EXPECT_EQ(*path, root() / "almaghribtoday-en" / "2026-11-24.jsonl");
  auto from_vector = ContainedPath(root(), std::vector<std::string>{"a.test", "x"});
  ASSERT_TRUE(from_vector.ok()) << from_vector.status().message();
  EXPECT_EQ(*from_vector, root() / "a.test" / "x");
}

TEST_F(ContainedPathTest, HostileComponentsStayInside) {
  const std::vector<std::string> hostile = {"../../etc/passwd", "/etc/passwd", "..", ".", "a/../../b", "%2e%2e%2f",
                                            "..%2f..%2f", "..\\..\\", std::string("..\0/..", 6), std::string(1000, '.'),
                                            "", "%252e%252e"};
  for (const auto& name : hostile) {
    auto path = ContainedPath(root(), {name});
    ASSERT_TRUE(path.ok()) << name << ": " << path.status().message();
    EXPECT_TRUE(Under(*path, root())) << name << " -> " << path->string();
    EXPECT_NE(path->lexically_normal(), root().lexically_normal()) << name;
    EXPECT_EQ(path->parent_path(), root()) << name << " is not one file name";
    auto nested = ContainedPath(root(), {name, name, "x"});
    ASSERT_TRUE(nested.ok()) << nested.status().message();
    EXPECT_TRUE(Under(*nested, root())) << nested->string();
  }
}

TEST_F(ContainedPathTest, ARelativeRootIsTakenAgainstTheWorkingDirectory) {
  auto path = ContainedPath("out/warc", {"a.test"});
  ASSERT_TRUE(path.ok()) << path.status().message();
  EXPECT_TRUE(path->is_absolute());
  EXPECT_EQ(*path, fs::current_path() / "out" / "warc" / "a.test");
}

TEST_F(ContainedPathTest, NeedsARootAndAName) {
  EXPECT_FALSE(ContainedPath("", {"x"}).ok());
  auto none = ContainedPath(root(), std::vector<std::string>{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ContainedPathTest, ASymlinkInsideTheRootPointingOutsideIsRefused) {
  fs::create_directories(root());
  fs::create_directories(dir_.path() / "outside");
  fs::create_symlink(dir_.path() / "outside", root() / "escape");
  auto path = ContainedPath(root(), {"escape", "passwd"});
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(path.status().message().find("symbolic link"), std::string::npos) << path.status().message();
  EXPECT_NE(path.status().message().find((root() / "escape").string()), std::string::npos) << path.status().message();

  // A relative link, a link as the last name, and a dangling one (which an
  // open with O_CREAT would follow): all refused.
  fs::create_symlink("../outside", root() / "relative");
  EXPECT_FALSE(ContainedPath(root(), {"relative", "x"}).ok());
  fs::create_symlink(dir_.path() / "outside" / "file", root() / "last");
  EXPECT_FALSE(ContainedPath(root(), {"last"}).ok());
  fs::create_symlink(dir_.path() / "outside" / "not-yet", root() / "dangling");
  EXPECT_FALSE(ContainedPath(root(), {"dangling"}).ok());
  // A chain: inside, then out.
  fs::create_symlink(root() / "escape", root() / "chain");
  EXPECT_FALSE(ContainedPath(root(), {"chain", "x"}).ok());
}

TEST_F(ContainedPathTest, ASymlinkThatStaysInsideIsFollowed) {
  fs::create_directories(root() / "real");
  fs::create_symlink("real", root() / "alias");
  auto path = ContainedPath(root(), {"alias", "file"});
  ASSERT_TRUE(path.ok()) << path.status().message();
  EXPECT_EQ(*path, root() / "alias" / "file");
}

TEST_F(ContainedPathTest, ARootThatIsItselfASymlinkIsWhereItPoints) {
  fs::create_directories(dir_.path() / "data");
  fs::create_symlink(dir_.path() / "data", dir_.path() / "link-root");
  auto path = ContainedPath(dir_.path() / "link-root", {"site", "a.jsonl"});
  ASSERT_TRUE(path.ok()) << path.status().message();
  EXPECT_EQ(*path, dir_.path() / "link-root" / "site" / "a.jsonl");
  // ... and a link in it back out of the data directory is refused.
  fs::create_symlink(dir_.path(), dir_.path() / "data" / "up");
  EXPECT_FALSE(ContainedPath(dir_.path() / "link-root", {"up", "x"}).ok());
}

TEST_F(ContainedPathTest, ASymlinkLoopIsAnErrorNotAHang) {
  fs::create_directories(root());
  fs::create_symlink(root() / "b", root() / "a");
  fs::create_symlink(root() / "a", root() / "b");
  auto path = ContainedPath(root(), {"a", "x"});
  EXPECT_FALSE(path.ok());
}

}  // namespace
}  // namespace newshound

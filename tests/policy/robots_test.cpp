// robots.txt per RFC 9309. Each test names the rule it pins; "RFC n.n" in a
// comment points at the section (and example) it comes from.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <string_view>

#include "newshound/robots.h"

namespace newshound {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

bool Allowed(std::string_view robots, std::string_view agent, std::string_view path) {
  return RobotsRules::Parse(robots).IsAllowed(agent, path);
}

bool HasWarningContaining(const RobotsRules& rules, std::string_view text) {
  for (const std::string& w : rules.warnings()) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

// --- RFC 9309 2.1: groups -------------------------------------------------

TEST(Robots, Robots_GroupEndsAtTheNextUserAgentLine) {
  const char* robots =
      "User-agent: a\n"
      "Disallow: /a\n"
      "User-agent: b\n"
      "Disallow: /b\n";
  EXPECT_FALSE(Allowed(robots, "a", "/a"));
  EXPECT_TRUE(Allowed(robots, "a", "/b"));
  EXPECT_FALSE(Allowed(robots, "b", "/b"));
  EXPECT_TRUE(Allowed(robots, "b", "/a"));
}

TEST(Robots, Robots_LastGroupWithoutRulesAllowsEverything) {
  // RFC 2.1: "The last group may have no rules, which means it implicitly
  // allows everything." It is still that agent's group, so "*" does not apply.
  const char* robots =
      "User-agent: *\n"
      "Disallow: /\n"
      "\n"
      "User-agent: quxbot\n";
  EXPECT_TRUE(Allowed(robots, "quxbot", "/anything"));
  EXPECT_FALSE(Allowed(robots, "otherbot", "/anything"));
}

TEST(Robots, Robots_ConsecutiveUserAgentLinesFormOneGroup) {
  const char* robots =
      "User-agent: barbot\n"
      "User-agent: bazbot\n"
      "Disallow: /x\n";
  EXPECT_FALSE(Allowed(robots, "barbot", "/x"));
  EXPECT_FALSE(Allowed(robots, "bazbot", "/x"));
  EXPECT_TRUE(Allowed(robots, "quxbot", "/x"));
}

// --- RFC 9309 2.2: syntax -------------------------------------------------

TEST(Robots, Robots_BlankLinesDoNotEndAGroup) {
  // The 2.2 grammar allows empty lines anywhere inside a group.
  const char* robots =
      "User-agent: a\n"
      "\n"
      "User-agent: b\n"
      "\n"
      "Disallow: /x\n"
      "\n"
      "Disallow: /y\n";
  EXPECT_FALSE(Allowed(robots, "a", "/x"));
  EXPECT_FALSE(Allowed(robots, "a", "/y"));
  EXPECT_FALSE(Allowed(robots, "b", "/y"));
}

TEST(Robots, Robots_KeysAreCaseInsensitiveAndWhitespaceAroundColonIsTolerated) {
  const char* robots =
      "  USER-AGENT   :   FooBot  \n"
      "\tdisALLOW\t:\t/private \n"
      "ALLOW:/private/ok\n";
  EXPECT_FALSE(Allowed(robots, "foobot", "/private/x"));
  EXPECT_TRUE(Allowed(robots, "foobot", "/private/ok"));
  EXPECT_TRUE(Allowed(robots, "foobot", "/public"));
}

TEST(Robots, Robots_CommentsAreIgnored) {
  // RFC 2.2.3: "allow: / # comment in line" and "# comment on its own line".
  const char* robots =
      "# comment on its own line\n"
      "User-agent: * # everyone\n"
      "Disallow: /a#b\n"
      "allow: / # comment in line\n";
  EXPECT_FALSE(Allowed(robots, "x", "/a"));  // the pattern is "/a"
  EXPECT_FALSE(Allowed(robots, "x", "/abc"));
  EXPECT_TRUE(Allowed(robots, "x", "/b"));
  EXPECT_TRUE(RobotsRules::Parse(robots).warnings().empty());
}

TEST(Robots, Robots_LinesMayEndInLfCrOrCrLf) {
  for (const char* eol : {"\n", "\r", "\r\n"}) {
    const std::string robots = std::string("User-agent: a") + eol + "Disallow: /x" + eol +
                               "User-agent: b" + eol + "Disallow: /y" + eol;
    SCOPED_TRACE(testing::PrintToString(std::string(eol)));
    EXPECT_FALSE(Allowed(robots, "a", "/x"));
    EXPECT_TRUE(Allowed(robots, "a", "/y"));
    EXPECT_FALSE(Allowed(robots, "b", "/y"));
    EXPECT_TRUE(Allowed(robots, "b", "/x"));
  }
}

TEST(Robots, Robots_CrOnlyLineEndsAreLines) {
  // Old Mac files: without splitting on CR the whole file is one line.
  const char* robots = "User-agent: *\rDisallow: /private\rAllow: /private/pub\r";
  EXPECT_FALSE(Allowed(robots, "x", "/private/a"));
  EXPECT_TRUE(Allowed(robots, "x", "/private/pub/a"));
}

TEST(Robots, Robots_CrLfCountsAsOneLineEnd) {
  auto rules = RobotsRules::Parse("User-agent: *\r\nbogus: 1\r\n");
  ASSERT_EQ(rules.warnings().size(), 1u);
  EXPECT_EQ(rules.warnings()[0].rfind("line 2:", 0), 0u) << rules.warnings()[0];
}

TEST(Robots, Robots_Utf8BomIsSkipped) {
  const char* robots = "\xEF\xBB\xBFUser-agent: *\nDisallow: /x\n";
  EXPECT_FALSE(Allowed(robots, "x", "/x"));
  EXPECT_TRUE(RobotsRules::Parse(robots).warnings().empty());
}

TEST(Robots, Robots_MissingColonIsToleratedForTwoWordLines) {
  // As google/robotstxt does: "Disallow /x" means "Disallow: /x".
  const char* robots = "User-agent *\nDisallow /x\nDisallow /y /z\n";
  auto rules = RobotsRules::Parse(robots);
  EXPECT_FALSE(rules.IsAllowed("a", "/x"));
  EXPECT_TRUE(rules.IsAllowed("a", "/y"));  // three words: not understood
  EXPECT_TRUE(HasWarningContaining(rules, "line 3: no ':'"));
}

// --- RFC 9309 2.2.1: the user-agent line ----------------------------------

TEST(Robots, Robots_ProductTokenOfTheCrawlerSelectsItsGroup) {
  // RFC 2.2.1 table 1: the crawler announcing
  // "Mozilla/5.0 (compatible; ExampleBot/0.1; https://www.example.com/bot.html)"
  // has the product token ExampleBot and obeys "user-agent: ExampleBot".
  const char* robots =
      "user-agent: ExampleBot\n"
      "disallow: /private\n";
  EXPECT_FALSE(Allowed(robots, "ExampleBot", "/private"));
  EXPECT_FALSE(Allowed(robots, "ExampleBot/0.1 (+https://www.example.com/bot.html)", "/private"));
  EXPECT_FALSE(Allowed(robots, "ExampleBot (compatible)", "/private"));
  EXPECT_TRUE(Allowed(robots, "OtherBot/1.0", "/private"));
}

TEST(Robots, Robots_ProductTokenIsMatchedCaseInsensitively) {
  const char* robots = "User-agent: ExampleBot\nDisallow: /\n";
  EXPECT_FALSE(Allowed(robots, "examplebot", "/x"));
  EXPECT_FALSE(Allowed(robots, "EXAMPLEBOT/2.0", "/x"));
  EXPECT_FALSE(Allowed("User-agent: EXAMPLEBOT\nDisallow: /\n", "ExampleBot", "/x"));
}

TEST(Robots, Robots_LineProductTokenIsItsLeadingLettersUnderscoresAndHyphens) {
  const char* robots =
      "User-agent: ExampleBot/1.0\n"
      "Disallow: /a\n"
      "User-agent: Google-bot_News extra words\n"
      "Disallow: /b\n";
  EXPECT_FALSE(Allowed(robots, "ExampleBot", "/a"));
  EXPECT_FALSE(Allowed(robots, "google-bot_news", "/b"));
  // Tokens are compared whole: "Google" is not "Google-bot_News".
  EXPECT_TRUE(Allowed(robots, "Google", "/b"));
}

TEST(Robots, Robots_UserAgentWithoutProductTokenMatchesNoCrawlerButDelimitsGroups) {
  const char* robots =
      "User-agent: a\n"
      "Disallow: /a\n"
      "User-agent: 123bot\n"
      "Disallow: /b\n";
  auto rules = RobotsRules::Parse(robots);
  EXPECT_TRUE(rules.IsAllowed("a", "/b"));
  EXPECT_TRUE(rules.IsAllowed("123bot", "/b"));
  EXPECT_TRUE(HasWarningContaining(rules, "line 3: user-agent '123bot' has no product token"));
}

TEST(Robots, Robots_GroupsForSameAgentAreMerged) {
  // RFC 2.2.1 table 2.
  const char* robots =
      "user-agent: ExampleBot\n"
      "disallow: /foo\n"
      "disallow: /bar\n"
      "\n"
      "user-agent: ExampleBot\n"
      "disallow: /baz\n";
  for (const char* path : {"/foo", "/bar", "/baz"}) {
    EXPECT_FALSE(Allowed(robots, "ExampleBot", path)) << path;
  }
  EXPECT_TRUE(Allowed(robots, "ExampleBot", "/qux"));
}

TEST(Robots, Robots_MergingIsCaseInsensitiveAndAlsoAppliesToStarGroups) {
  const char* robots =
      "user-agent: examplebot\n"
      "disallow: /foo\n"
      "user-agent: *\n"
      "disallow: /x\n"
      "user-agent: EXAMPLEBOT\n"
      "allow: /foo/open\n"
      "user-agent: *\n"
      "disallow: /y\n";
  EXPECT_FALSE(Allowed(robots, "ExampleBot", "/foo/closed"));
  EXPECT_TRUE(Allowed(robots, "ExampleBot", "/foo/open"));
  EXPECT_FALSE(Allowed(robots, "other", "/x"));
  EXPECT_FALSE(Allowed(robots, "other", "/y"));
}

TEST(Robots, Robots_StarGroupIsTheFallback) {
  // RFC 2.2.1 table 3: ExampleBot has no group, so it obeys "*", not BazBot's.
  const char* robots =
      "user-agent: *\n"
      "disallow: /foo\n"
      "disallow: /bar\n"
      "\n"
      "user-agent: BazBot\n"
      "disallow: /baz\n";
  EXPECT_FALSE(Allowed(robots, "ExampleBot", "/foo"));
  EXPECT_FALSE(Allowed(robots, "ExampleBot", "/bar"));
  EXPECT_TRUE(Allowed(robots, "ExampleBot", "/baz"));
  EXPECT_FALSE(Allowed(robots, "BazBot", "/baz"));
  EXPECT_TRUE(Allowed(robots, "BazBot", "/foo"));
}

TEST(Robots, Robots_SpecificGroupIsNotMergedWithStar) {
  const char* robots =
      "User-agent: *\n"
      "Disallow: /private\n"
      "User-agent: ExampleBot\n"
      "Disallow: /tmp\n";
  EXPECT_TRUE(Allowed(robots, "ExampleBot", "/private"));
  EXPECT_FALSE(Allowed(robots, "ExampleBot", "/tmp"));
}

TEST(Robots, Robots_StarFollowedByWordsIsStillTheStarGroup) {
  EXPECT_FALSE(Allowed("User-agent: * everyone\nDisallow: /x\n", "any", "/x"));
}

TEST(Robots, Robots_NoMatchingGroupAndNoStarGroupAllowsAll) {
  // RFC 2.2.1: "no rules apply".
  EXPECT_TRUE(Allowed("User-agent: BazBot\nDisallow: /\n", "ExampleBot", "/x"));
}

TEST(Robots, Robots_NoGroupsAllowsAll) {
  EXPECT_TRUE(Allowed("", "ExampleBot", "/x"));
  EXPECT_TRUE(Allowed("# nothing here\n\n", "ExampleBot", "/x"));
}

// --- RFC 9309 2.2.2: allow and disallow -----------------------------------

TEST(Robots, Robots_MatchingStartsAtTheFirstOctetOfThePath) {
  const char* robots = "User-agent: *\nDisallow: /foo\n";
  EXPECT_FALSE(Allowed(robots, "x", "/foo"));
  EXPECT_FALSE(Allowed(robots, "x", "/foobar"));
  EXPECT_FALSE(Allowed(robots, "x", "/foo/bar"));
  EXPECT_TRUE(Allowed(robots, "x", "/bar/foo"));
}

TEST(Robots, Robots_MatchingIsCaseSensitive) {
  const char* robots = "User-agent: *\nDisallow: /Private\n";
  EXPECT_FALSE(Allowed(robots, "x", "/Private"));
  EXPECT_TRUE(Allowed(robots, "x", "/private"));
}

TEST(Robots, Robots_LongestMatchWins) {
  const char* robots =
      "User-agent: *\n"
      "Disallow: /\n"
      "Allow: /news/\n"
      "Disallow: /news/drafts/\n";
  EXPECT_FALSE(Allowed(robots, "x", "/about"));
  EXPECT_TRUE(Allowed(robots, "x", "/news/today"));
  EXPECT_FALSE(Allowed(robots, "x", "/news/drafts/1"));
}

TEST(Robots, Robots_LongestMatchDoesNotDependOnOrder) {
  EXPECT_TRUE(Allowed("User-agent: *\nDisallow: /\nAllow: /pub/\n", "x", "/pub/a"));
  EXPECT_TRUE(Allowed("User-agent: *\nAllow: /pub/\nDisallow: /\n", "x", "/pub/a"));
}

TEST(Robots, Robots_MatchLengthIsCountedAfterNormalization) {
  // "/%61%62" is "/ab" (2 octets after '/'), shorter than "/abc".
  const char* robots =
      "User-agent: *\n"
      "Disallow: /%61%62\n"
      "Allow: /abc\n";
  EXPECT_TRUE(Allowed(robots, "x", "/abcd"));
  EXPECT_FALSE(Allowed(robots, "x", "/abd"));
}

TEST(Robots, Robots_AllowWinsTie) {
  // RFC 2.2.2: equivalent allow and disallow rules: allow SHOULD be used.
  EXPECT_TRUE(Allowed("User-agent: *\nDisallow: /page\nAllow: /page\n", "x", "/page"));
  EXPECT_TRUE(Allowed("User-agent: *\nAllow: /page\nDisallow: /page\n", "x", "/page"));
  // Same length, different patterns, both matching.
  EXPECT_TRUE(Allowed("User-agent: *\nDisallow: /p*e\nAllow: /pag\n", "x", "/page"));
}

TEST(Robots, Robots_EmptyDisallowAllowsAll) {
  const char* robots =
      "User-agent: *\n"
      "Disallow: /\n"
      "User-agent: friend\n"
      "Disallow:\n";
  EXPECT_TRUE(Allowed(robots, "friend", "/anything"));
  EXPECT_FALSE(Allowed(robots, "stranger", "/anything"));
  EXPECT_TRUE(Allowed("User-agent: *\nDisallow:\n", "x", "/"));
  EXPECT_TRUE(RobotsRules::Parse(robots).warnings().empty());
}

TEST(Robots, Robots_EmptyDisallowStillEndsTheRunOfUserAgents) {
  const char* robots =
      "User-agent: a\n"
      "Disallow:\n"
      "User-agent: b\n"
      "Disallow: /\n";
  EXPECT_TRUE(Allowed(robots, "a", "/x"));
  EXPECT_FALSE(Allowed(robots, "b", "/x"));
}

TEST(Robots, Robots_RobotsTxtIsAlwaysAllowed) {
  const char* robots = "User-agent: *\nDisallow: /\nDisallow: /robots.txt$\n";
  EXPECT_TRUE(Allowed(robots, "x", "/robots.txt"));
  EXPECT_TRUE(Allowed(robots, "x", "/robots%2Etxt"));  // the same URI
  EXPECT_FALSE(Allowed(robots, "x", "/robots.txt.bak"));
  EXPECT_FALSE(Allowed(robots, "x", "/"));
}

TEST(Robots, Robots_RulesBeforeAnyUserAgentAreIgnored) {
  // RFC 2.2.2: rules not in any group SHOULD be ignored.
  auto rules = RobotsRules::Parse("Disallow: /x\nUser-agent: *\nDisallow: /y\n");
  EXPECT_TRUE(rules.IsAllowed("a", "/x"));
  EXPECT_FALSE(rules.IsAllowed("a", "/y"));
  EXPECT_TRUE(HasWarningContaining(rules, "line 1: rule before any user-agent line"));
}

TEST(Robots, Robots_QueryIsPartOfTheMatch) {
  const char* robots = "User-agent: *\nDisallow: /search?q=\nDisallow: /*?sessionid\n";
  EXPECT_FALSE(Allowed(robots, "x", "/search?q=robots"));
  EXPECT_TRUE(Allowed(robots, "x", "/search"));
  EXPECT_TRUE(Allowed(robots, "x", "/search?page=2"));
  EXPECT_FALSE(Allowed(robots, "x", "/a/b?sessionid=1"));
}

TEST(Robots, Robots_FragmentTakesNoPartInTheMatch) {
  EXPECT_FALSE(Allowed("User-agent: *\nDisallow: /page$\n", "x", "/page#top"));
}

TEST(Robots, Robots_PathWithoutLeadingSlashIsReadFromTheRoot) {
  const char* robots = "User-agent: *\nDisallow: /$\nDisallow: /?\n";
  EXPECT_FALSE(Allowed(robots, "x", ""));
  EXPECT_FALSE(Allowed(robots, "x", "?q=1"));
}

TEST(Robots, Robots_PatternThatCanNeverMatchIsSkippedWithAWarning) {
  auto rules = RobotsRules::Parse("User-agent: *\nDisallow: private\n");
  EXPECT_TRUE(rules.IsAllowed("x", "/private"));
  EXPECT_TRUE(HasWarningContaining(rules, "line 2: pattern 'private' starts with neither"));
}

// RFC 2.2.2, "Examples of matching percent-encoded URI components", row by
// row: a rule written as "Path" or as "Encoded Path" matches a URL whose
// path is sent as "Encoded Path".
TEST(Robots, Robots_PercentEncodingTableRow1_QueryMatchesAsIs) {
  const char* robots = "User-agent: *\nDisallow: /foo/bar?baz=quz\n";
  EXPECT_FALSE(Allowed(robots, "x", "/foo/bar?baz=quz"));
  EXPECT_TRUE(Allowed(robots, "x", "/foo/bar?baz=qu"));
}

TEST(Robots, Robots_PercentEncodingTableRow2_EscapedReservedCharactersStayEscaped) {
  const char* robots = "User-agent: *\nDisallow: /foo/bar?baz=https%3A%2F%2Ffoo.bar\n";
  EXPECT_FALSE(Allowed(robots, "x", "/foo/bar?baz=https%3A%2F%2Ffoo.bar"));
  EXPECT_FALSE(Allowed(robots, "x", "/foo/bar?baz=https%3a%2f%2ffoo.bar"));  // hex case
  // A reserved character and its escape are different URIs (RFC 3986 6.2.2.2),
  // so neither side's "%2F" is decoded to "/".
  EXPECT_TRUE(Allowed("User-agent: *\nDisallow: /foo/bar?baz=https://foo.bar\n", "x",
                      "/foo/bar?baz=https%3A%2F%2Ffoo.bar"));
  EXPECT_TRUE(Allowed("User-agent: *\nDisallow: /a/\n", "x", "/a%2Fb"));
}

TEST(Robots, Robots_PercentEncodingTableRow3_Utf8PatternMatchesEncodedPath) {
  const char* robots = "User-agent: *\nDisallow: /foo/bar/\xE3\x83\x84\n";  // /foo/bar/ツ
  EXPECT_FALSE(Allowed(robots, "x", "/foo/bar/%E3%83%84"));
  EXPECT_FALSE(Allowed(robots, "x", "/foo/bar/%e3%83%84"));
  EXPECT_TRUE(Allowed(robots, "x", "/foo/bar/%E3%83"));
}

TEST(Robots, Robots_PercentEncodingTableRow4_EncodedPatternMatchesEncodedPath) {
  const char* robots = "User-agent: *\nDisallow: /foo/bar/%E3%83%84\n";
  EXPECT_FALSE(Allowed(robots, "x", "/foo/bar/%E3%83%84"));
  EXPECT_FALSE(Allowed("User-agent: *\nDisallow: /foo/bar/%e3%83%84\n", "x", "/foo/bar/%E3%83%84"));
}

TEST(Robots, Robots_PercentEncodingTableRow5_EscapedUnreservedCharactersAreDecoded) {
  const char* robots = "User-agent: *\nDisallow: /foo/bar/%62%61%7A\n";
  EXPECT_FALSE(Allowed(robots, "x", "/foo/bar/baz"));
  EXPECT_FALSE(Allowed(robots, "x", "/foo/bar/%62%61%7A"));
  EXPECT_FALSE(Allowed("User-agent: *\nDisallow: /foo/bar/baz\n", "x", "/foo/bar/%62%61%7a"));
  EXPECT_FALSE(Allowed("User-agent: *\nDisallow: /~user/\n", "x", "/%7Euser/notes"));
}

TEST(Robots, Robots_Utf8PathMatchesEncodedPattern) {
  // A caller that hands over a raw UTF-8 path still gets the RFC's answer.
  const char* robots = "User-agent: *\nDisallow: /caf%C3%A9\n";
  EXPECT_FALSE(Allowed(robots, "x", "/caf\xC3\xA9/menu"));
  EXPECT_FALSE(Allowed("User-agent: *\nDisallow: /caf\xC3\xA9\n", "x", "/caf\xC3\xA9"));
}

TEST(Robots, Robots_CharactersOutsideTheUriSetAreEncodedOnBothSides) {
  EXPECT_FALSE(Allowed("User-agent: *\nDisallow: /a b\n", "x", "/a%20b"));
  EXPECT_FALSE(Allowed("User-agent: *\nDisallow: /a%20b\n", "x", "/a b"));
  EXPECT_FALSE(Allowed("User-agent: *\nDisallow: /100%\n", "x", "/100%25"));
}

// --- RFC 9309 2.2.3: special characters -----------------------------------

TEST(Robots, Robots_DollarAnchorsTheEnd) {
  // RFC 2.2.3: "allow: /this/path/exactly$".
  const char* robots = "User-agent: *\nDisallow: /this/\nallow: /this/path/exactly$\n";
  EXPECT_TRUE(Allowed(robots, "x", "/this/path/exactly"));
  EXPECT_FALSE(Allowed(robots, "x", "/this/path/exactly/more"));
  EXPECT_FALSE(Allowed(robots, "x", "/this/path/exactly?q"));
}

TEST(Robots, Robots_DollarIsLiteralAnywhereButTheEnd) {
  const char* robots = "User-agent: *\nDisallow: /a$b\n";
  EXPECT_FALSE(Allowed(robots, "x", "/a$b"));
  EXPECT_FALSE(Allowed(robots, "x", "/a%24bc"));
  EXPECT_TRUE(Allowed(robots, "x", "/a"));
}

TEST(Robots, Robots_StarMatchesAnySequence) {
  // RFC 2.2.3: "allow: /this/*/exactly".
  const char* robots = "User-agent: *\nDisallow: /this/\nallow: /this/*/exactly\n";
  EXPECT_TRUE(Allowed(robots, "x", "/this/a/exactly"));
  EXPECT_TRUE(Allowed(robots, "x", "/this/a/b/c/exactly"));  // '*' spans '/'
  EXPECT_TRUE(Allowed(robots, "x", "/this//exactly"));
  EXPECT_FALSE(Allowed(robots, "x", "/this/exactly"));
}

TEST(Robots, Robots_WildcardInTheMiddle) {
  const char* robots = "User-agent: *\nDisallow: /*/print/*.pdf$\n";
  EXPECT_FALSE(Allowed(robots, "x", "/2024/print/issue.pdf"));
  EXPECT_FALSE(Allowed(robots, "x", "/a/b/print/c/d.pdf"));
  EXPECT_TRUE(Allowed(robots, "x", "/2024/print/issue.pdf.html"));
  EXPECT_TRUE(Allowed(robots, "x", "/print/issue.pdf"));
}

TEST(Robots, Robots_LeadingStarMatchesFromTheRoot) {
  const char* robots = "User-agent: *\nDisallow: *.gif$\n";
  EXPECT_FALSE(Allowed(robots, "x", "/a/b.gif"));
  EXPECT_TRUE(Allowed(robots, "x", "/a/b.gif?w=1"));
}

TEST(Robots, Robots_TrailingStarsChangeNothingButLength) {
  const char* robots = "User-agent: *\nDisallow: /a***\nAllow: /a/b\n";
  EXPECT_FALSE(Allowed(robots, "x", "/a/b"));  // "/a***" is 5 octets, "/a/b" 4
  EXPECT_FALSE(Allowed(robots, "x", "/a"));
}

TEST(Robots, Robots_PercentEncodedStarAndDollarMatchVerbatim) {
  // RFC 2.2.3 "Example of percent-encoding".
  auto rules = RobotsRules::Parse(
      "User-agent: *\n"
      "Disallow: /path/file-with-a-%2A.html\n"
      "Disallow: /path/foo-%24\n");
  EXPECT_EQ(RobotsVerdictLine(rules, "x", "https://www.example.com/path/file-with-a-*.html"),
            "disallowed https://www.example.com/path/file-with-a-*.html");
  EXPECT_EQ(RobotsVerdictLine(rules, "x", "https://www.example.com/path/foo-$"),
            "disallowed https://www.example.com/path/foo-$");
  EXPECT_TRUE(rules.IsAllowed("x", "/path/file-with-a-b.html"));  // %2A is no wildcard
}

TEST(Robots, Robots_PathologicalWildcardsFinish) {
  // Backtracking matchers take exponential time here; ctest's timeout is the
  // assertion.
  std::string pattern = "/";
  for (int i = 0; i < 100; ++i) pattern += "*a";
  const std::string robots = "User-agent: *\nDisallow: " + pattern + "*b$\nDisallow: " + pattern + "c\n";
  auto rules = RobotsRules::Parse(robots);
  const std::string path = "/" + std::string(10 * 1024, 'a');
  EXPECT_TRUE(rules.IsAllowed("x", path));
  EXPECT_FALSE(rules.IsAllowed("x", path + "b"));
  EXPECT_FALSE(rules.IsAllowed("x", path + "c/more"));
}

// --- RFC 9309 2.2.4: other records ----------------------------------------

TEST(Robots, Robots_SitemapsAreGlobalAndDoNotEndAGroup) {
  const char* robots =
      "Sitemap: https://x.test/a.xml\n"
      "User-agent: a\n"
      "Sitemap: https://x.test/b.xml\n"
      "User-agent: b\n"
      "Disallow: /private\n"
      "sitemap: https://x.test/c.xml\n"
      "Disallow: /secret\n";
  auto rules = RobotsRules::Parse(robots);
  for (const char* agent : {"a", "b"}) {
    EXPECT_FALSE(rules.IsAllowed(agent, "/private")) << agent;
    EXPECT_FALSE(rules.IsAllowed(agent, "/secret")) << agent;
  }
  EXPECT_EQ(rules.sitemaps(), (std::vector<std::string>{"https://x.test/a.xml", "https://x.test/b.xml",
                                                        "https://x.test/c.xml"}));
}

TEST(Robots, Robots_UnknownKeysAreIgnoredWithAWarningAndDoNotEndAGroup) {
  const char* robots =
      "User-agent: a\n"
      "Host: example.test\n"
      "User-agent: b\n"
      "Clean-param: ref\n"
      "Disallow: /x\n";
  auto rules = RobotsRules::Parse(robots);
  EXPECT_FALSE(rules.IsAllowed("a", "/x"));
  EXPECT_FALSE(rules.IsAllowed("b", "/x"));
  EXPECT_TRUE(HasWarningContaining(rules, "line 2: unknown key 'Host'"));
  EXPECT_TRUE(HasWarningContaining(rules, "line 4: unknown key 'Clean-param'"));
}

TEST(Robots, Robots_CommonMisspellingsAreAccepted) {
  const char* robots =
      "useragent: a\n"
      "dissallow: /1\n"
      "user agent: b\n"
      "disalow: /2\n"
      "User-Agent: c\n"
      "dissalow: /3\n"
      "diasllow: /4\n"
      "disallaw: /5\n"
      "site-map: https://x.test/s.xml\n";
  auto rules = RobotsRules::Parse(robots);
  EXPECT_FALSE(rules.IsAllowed("a", "/1"));
  EXPECT_FALSE(rules.IsAllowed("b", "/2"));
  for (const char* path : {"/3", "/4", "/5"}) EXPECT_FALSE(rules.IsAllowed("c", path)) << path;
  EXPECT_EQ(rules.sitemaps().size(), 1u);
  EXPECT_TRUE(rules.warnings().empty());
}

TEST(Robots, Robots_KeysAreMatchedWhole) {
  auto rules = RobotsRules::Parse("User-agent: *\nDisallowed: /x\n");
  EXPECT_TRUE(rules.IsAllowed("a", "/x"));
  EXPECT_TRUE(HasWarningContaining(rules, "unknown key 'Disallowed'"));
}

TEST(Robots, Robots_RelativeSitemapIsSkippedWithAWarning) {
  auto rules = RobotsRules::Parse("Sitemap: /sitemap.xml\nSitemap: https://x.test/s.xml\n");
  EXPECT_EQ(rules.sitemaps(), std::vector<std::string>{"https://x.test/s.xml"});
  EXPECT_TRUE(HasWarningContaining(rules, "line 1: sitemap '/sitemap.xml'"));
}

// --- RFC 9309 2.3.1: what the caller builds for failed fetches -------------

TEST(Robots, Robots_UnavailableRobotsTxtAllowsAll) {
  // RFC 2.3.1.3: a 4xx means the crawler MAY access any resource.
  auto rules = RobotsRules::AllowAll();
  EXPECT_TRUE(rules.IsAllowed("x", "/"));
  EXPECT_TRUE(rules.IsAllowed("x", "/anything?at=all"));
  EXPECT_FALSE(rules.CrawlDelay("x").has_value());
}

TEST(Robots, Robots_UnreachableRobotsTxtDisallowsAllButRobotsTxt) {
  // RFC 2.3.1.4: a 5xx or network error means complete disallow.
  auto rules = RobotsRules::DisallowAll();
  EXPECT_FALSE(rules.IsAllowed("x", "/"));
  EXPECT_FALSE(rules.IsAllowed("AnyBot/1.0", "/news/1"));
  EXPECT_TRUE(rules.IsAllowed("x", "/robots.txt"));
}

// --- RFC 9309 2.5: limits --------------------------------------------------

std::string Padding(size_t bytes) {
  // Comment lines: harmless filler that is still parsed.
  std::string out;
  while (bytes - out.size() > 80) out += "# " + std::string(77, 'p') + "\n";
  out += std::string(bytes - out.size() - 1, '#') + "\n";
  return out;
}

TEST(Robots, Robots_ParseLimitIs500KiB) {
  const std::string head = "User-agent: *\nDisallow: /before\n";
  std::string robots = head + Padding(RobotsRules::kMaxParseBytes - head.size() - 20);
  robots += "Disallow: /edge\n";  // ends 4 bytes before the limit
  ASSERT_LT(robots.size(), RobotsRules::kMaxParseBytes);
  robots += std::string(RobotsRules::kMaxParseBytes - robots.size() + 10, '#') + "\n";
  robots += "Disallow: /after\n";
  auto rules = RobotsRules::Parse(robots);
  EXPECT_EQ(RobotsRules::kMaxParseBytes, 512000u);
  EXPECT_FALSE(rules.IsAllowed("x", "/before"));
  EXPECT_FALSE(rules.IsAllowed("x", "/edge"));
  EXPECT_TRUE(rules.IsAllowed("x", "/after"));
  EXPECT_TRUE(HasWarningContaining(rules, "past the 500 KiB parse limit"));
}

TEST(Robots, Robots_LineCutByTheLimitIsDropped) {
  // Cut at the limit, "Allow: /public/only-this" would read "Allow: /pub"
  // and open more than the site allowed.
  const std::string head = "User-agent: *\nDisallow: /\n";
  const std::string rule = "Allow: /public/only-this\n";
  std::string robots = head + Padding(RobotsRules::kMaxParseBytes - head.size() - 11);
  robots += rule;  // its first 11 bytes are inside the limit
  auto rules = RobotsRules::Parse(robots);
  EXPECT_FALSE(rules.IsAllowed("x", "/public/only-this"));
  EXPECT_FALSE(rules.IsAllowed("x", "/pub"));
  EXPECT_TRUE(HasWarningContaining(rules, "ignored the last 25 bytes"));
}

TEST(Robots, Robots_BodyExactlyAtTheLimitIsReadWhole) {
  const std::string head = "User-agent: *\n";
  std::string robots = head + Padding(RobotsRules::kMaxParseBytes - head.size() - 10);
  robots += "Disallow: /x";  // 12 bytes, no final newline: 2 past the limit
  ASSERT_EQ(robots.size(), RobotsRules::kMaxParseBytes + 2);
  EXPECT_TRUE(RobotsRules::Parse(robots).IsAllowed("a", "/x"));
  robots.resize(robots.size() - 2);
  robots.replace(robots.size() - 10, 10, "Disallow:/");
  ASSERT_EQ(robots.size(), RobotsRules::kMaxParseBytes);
  auto rules = RobotsRules::Parse(robots);
  EXPECT_FALSE(rules.IsAllowed("a", "/x"));
  EXPECT_TRUE(rules.warnings().empty());
}

TEST(Robots, Robots_WarningsAreCapped) {
  std::string robots;
  for (int i = 0; i < 1000; ++i) robots += "nonsense\n";
  auto rules = RobotsRules::Parse(robots);
  EXPECT_LE(rules.warnings().size(), 101u);
  EXPECT_TRUE(HasWarningContaining(rules, "more warnings not recorded"));
}

// --- RFC 9309 5: examples ---------------------------------------------------

constexpr char kRfcSimpleExample[] =
    "User-Agent: *\n"
    "Disallow: *.gif$\n"
    "Disallow: /example/\n"
    "Allow: /publications/\n"
    "\n"
    "User-Agent: foobot\n"
    "Disallow:/\n"
    "Allow:/example/page.html\n"
    "Allow:/example/allowed.gif\n"
    "\n"
    "User-Agent: barbot\n"
    "User-Agent: bazbot\n"
    "Disallow: /example/page.html\n"
    "\n"
    "User-Agent: quxbot\n";

TEST(Robots, Robots_Rfc5_1_StarGroupForUnlistedAgents) {
  auto rules = RobotsRules::Parse(kRfcSimpleExample);
  EXPECT_TRUE(rules.IsAllowed("otherbot", "/publications/paper.html"));
  EXPECT_TRUE(rules.IsAllowed("otherbot", "/publications/figure.gif"));  // longer allow
  EXPECT_FALSE(rules.IsAllowed("otherbot", "/example/page.html"));
  EXPECT_FALSE(rules.IsAllowed("otherbot", "/images/logo.gif"));
  EXPECT_TRUE(rules.IsAllowed("otherbot", "/images/logo.gif?v=2"));
  EXPECT_TRUE(rules.IsAllowed("otherbot", "/index.html"));
  EXPECT_TRUE(rules.warnings().empty());
}

TEST(Robots, Robots_Rfc5_1_FoobotOnlyHasTwoPrefixes) {
  auto rules = RobotsRules::Parse(kRfcSimpleExample);
  EXPECT_TRUE(rules.IsAllowed("foobot", "/example/page.html"));
  EXPECT_TRUE(rules.IsAllowed("foobot", "/example/allowed.gif"));
  EXPECT_FALSE(rules.IsAllowed("foobot", "/example/other.html"));
  EXPECT_FALSE(rules.IsAllowed("foobot", "/publications/"));
  EXPECT_FALSE(rules.IsAllowed("foobot", "/"));
  EXPECT_TRUE(rules.IsAllowed("foobot", "/robots.txt"));
}

TEST(Robots, Robots_Rfc5_1_BarbotAndBazbotShareAGroup) {
  auto rules = RobotsRules::Parse(kRfcSimpleExample);
  for (const char* agent : {"barbot", "bazbot"}) {
    EXPECT_FALSE(rules.IsAllowed(agent, "/example/page.html")) << agent;
    EXPECT_TRUE(rules.IsAllowed(agent, "/example/other.html")) << agent;
    EXPECT_TRUE(rules.IsAllowed(agent, "/images/logo.gif")) << agent;  // "*" does not apply
  }
}

TEST(Robots, Robots_Rfc5_1_QuxbotEmptyGroupAllowsEverything) {
  auto rules = RobotsRules::Parse(kRfcSimpleExample);
  EXPECT_TRUE(rules.IsAllowed("quxbot", "/example/page.html"));
  EXPECT_TRUE(rules.IsAllowed("quxbot", "/images/logo.gif"));
}

TEST(Robots, Robots_Rfc5_1_IndentedAsPrintedStillParses) {
  // The RFC prints the file indented; leading whitespace is allowed (2.2).
  std::string indented;
  for (std::string_view rest = kRfcSimpleExample; !rest.empty();) {
    const size_t eol = rest.find('\n');
    indented += "            " + std::string(rest.substr(0, eol + 1));
    rest.remove_prefix(eol + 1);
  }
  auto rules = RobotsRules::Parse(indented);
  EXPECT_FALSE(rules.IsAllowed("foobot", "/example/other.html"));
  EXPECT_FALSE(rules.IsAllowed("otherbot", "/images/logo.gif"));
}

TEST(Robots, Robots_Rfc5_2_LongestMatch) {
  const char* robots =
      "User-Agent: foobot\n"
      "Allow: /example/page/\n"
      "Disallow: /example/page/disallowed.gif\n";
  EXPECT_FALSE(Allowed(robots, "foobot", "/example/page/disallowed.gif"));
  EXPECT_TRUE(Allowed(robots, "foobot", "/example/page/allowed.gif"));
  EXPECT_TRUE(Allowed(robots, "foobot", "/example/page/"));
}

// --- Crawl-delay and sitemaps (outside the RFC) ----------------------------

constexpr char kAlmaghribtoday[] =
    "User-agent: *\n"
    "Crawl-delay: 10\n"
    "Disallow: /search\n"
    "Disallow: /comments\n"
    "Disallow: /captcha\n"
    "Disallow: /print/\n"
    "Allow: /\n"
    "\n"
    "User-agent: AhrefsBot\n"
    "Disallow: /\n"
    "\n"
    "Sitemap: https://en.almaghribtoday.test/sitemap.xml\n"
    "Sitemap: https://en.almaghribtoday.test/sitemap-news.xml\n";

TEST(Robots, Robots_CrawlDelayIsPerGroup) {
  auto rules = RobotsRules::Parse(kAlmaghribtoday);
  EXPECT_EQ(rules.CrawlDelay("newshound/0.1 (+https://newshound.test/bot)"), milliseconds(seconds(10)));
  EXPECT_EQ(rules.CrawlDelay("AhrefsBot"), std::nullopt);
  EXPECT_TRUE(rules.warnings().empty());
}

TEST(Robots, Robots_AlmaghribtodayRules) {
  auto rules = RobotsRules::Parse(kAlmaghribtoday);
  const char* ua = "newshound/0.1";
  EXPECT_TRUE(rules.IsAllowed(ua, "/"));
  EXPECT_TRUE(rules.IsAllowed(ua, "/news/morocco/story-1.html"));
  EXPECT_FALSE(rules.IsAllowed(ua, "/search?q=rabat"));
  EXPECT_FALSE(rules.IsAllowed(ua, "/comments/12"));
  EXPECT_FALSE(rules.IsAllowed(ua, "/captcha"));
  EXPECT_FALSE(rules.IsAllowed(ua, "/print/123"));
  EXPECT_TRUE(rules.IsAllowed(ua, "/printer-friendly"));
  EXPECT_FALSE(rules.IsAllowed("AhrefsBot/7.0", "/"));
  EXPECT_FALSE(rules.IsAllowed("ahrefsbot", "/news/"));
}

TEST(Robots, Robots_SitemapsAreCollectedInOrder) {
  auto rules = RobotsRules::Parse(kAlmaghribtoday);
  EXPECT_EQ(rules.sitemaps(), (std::vector<std::string>{"https://en.almaghribtoday.test/sitemap.xml",
                                                        "https://en.almaghribtoday.test/sitemap-news.xml"}));
}

TEST(Robots, Robots_CrawlDelayAcceptsFractionalSeconds) {
  auto delay = [](std::string_view value) {
    return RobotsRules::Parse("User-agent: *\nCrawl-delay: " + std::string(value) + "\n").CrawlDelay("x");
  };
  EXPECT_EQ(delay("0.5"), milliseconds(500));
  EXPECT_EQ(delay(".25"), milliseconds(250));
  EXPECT_EQ(delay("2."), milliseconds(2000));
  EXPECT_EQ(delay("1.23456"), milliseconds(1234));
  EXPECT_EQ(delay("0"), milliseconds(0));
  EXPECT_EQ(delay("99999999999999999999"), milliseconds(seconds(86400)));  // clamped to a day
}

TEST(Robots, Robots_CrawlDelayIgnoresNegativeAndGarbage) {
  for (const char* value : {"-1", "abc", "1e3", "10s", "1.2.3", ".", "", "+5", "0x10"}) {
    auto rules = RobotsRules::Parse("User-agent: *\nCrawl-delay: " + std::string(value) + "\n");
    EXPECT_EQ(rules.CrawlDelay("x"), std::nullopt) << value;
    EXPECT_TRUE(HasWarningContaining(rules, "line 2: crawl-delay")) << value;
  }
}

TEST(Robots, Robots_CrawlDelayFollowsTheGroupChoiceAndMergesToTheLargest) {
  const char* robots =
      "User-agent: a\n"
      "Crawl-delay: 5\n"
      "User-agent: b\n"
      "Disallow: /\n"
      "User-agent: A\n"
      "Crawl-delay: 7.5\n"
      "User-agent: *\n"
      "Crawl-delay: 1\n";
  auto rules = RobotsRules::Parse(robots);
  EXPECT_EQ(rules.CrawlDelay("a"), milliseconds(7500));
  // Crawl-delay is a group line: it ends a's run of user-agent lines, so b
  // gets neither a's delay nor shares its rules.
  EXPECT_EQ(rules.CrawlDelay("b"), std::nullopt);
  EXPECT_TRUE(rules.IsAllowed("a", "/x"));
  EXPECT_FALSE(rules.IsAllowed("b", "/x"));
  EXPECT_EQ(rules.CrawlDelay("c"), milliseconds(1000));
}

TEST(Robots, Robots_CrawlDelayBeforeAnyUserAgentIsIgnored) {
  auto rules = RobotsRules::Parse("Crawl-delay: 3\nUser-agent: *\nDisallow: /x\n");
  EXPECT_EQ(rules.CrawlDelay("x"), std::nullopt);
  EXPECT_TRUE(HasWarningContaining(rules, "line 1: rule before any user-agent line"));
}

// --- The CLI's verdict line -------------------------------------------------

TEST(Robots, Robots_VerdictLineNamesTheUrlAsGiven) {
  auto rules = RobotsRules::Parse(kAlmaghribtoday);
  EXPECT_EQ(RobotsVerdictLine(rules, "newshound", "https://en.almaghribtoday.test/news/1"),
            "allowed https://en.almaghribtoday.test/news/1");
  EXPECT_EQ(RobotsVerdictLine(rules, "newshound", "https://en.almaghribtoday.test/search?q=x#top"),
            "disallowed https://en.almaghribtoday.test/search?q=x#top");
  EXPECT_EQ(RobotsVerdictLine(rules, "newshound", "https://en.almaghribtoday.test"),
            "allowed https://en.almaghribtoday.test");
  EXPECT_EQ(RobotsVerdictLine(rules, "AhrefsBot", "https://en.almaghribtoday.test/robots.txt"),
            "allowed https://en.almaghribtoday.test/robots.txt");
}

TEST(Robots, Robots_VerdictLineReportsInvalidUrls) {
  auto rules = RobotsRules::AllowAll();
  EXPECT_EQ(RobotsVerdictLine(rules, "x", "/relative/path").rfind("error: ", 0), 0u);
  EXPECT_EQ(RobotsVerdictLine(rules, "x", "ftp://a.test/").rfind("error: ", 0), 0u);
  EXPECT_NE(RobotsVerdictLine(rules, "x", "not a url").find("not a url"), std::string::npos);
}

// --- Untrusted input ----------------------------------------------------------

TEST(Robots, Robots_GarbageNeverCrashes) {
  const std::vector<std::string> pieces = {
      "User-agent:", "Disallow:", "Allow:", "Crawl-delay:", "Sitemap:", "*", "$", "%", "%4", "%zz",
      "%E3", "/", "?", "#", ":", " ", "\t", "\r", "\n", "\r\n", "\xEF\xBB\xBF", "\xFF", "\x80",
      std::string(1, '\0'), "a", "Bot", "-", "_", "9", ".", "http://", "https://x.test/"};
  std::mt19937 rng(9309);
  for (int round = 0; round < 2000; ++round) {
    std::string body;
    const int n = static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) body += pieces[rng() % pieces.size()];
    std::string path;
    const int m = static_cast<int>(rng() % 20);
    for (int i = 0; i < m; ++i) path += pieces[rng() % pieces.size()];
    auto rules = RobotsRules::Parse(body);
    (void)rules.IsAllowed("Bot", path);
    (void)rules.IsAllowed(path, "/");
    (void)rules.IsAllowed("", "");
    (void)rules.CrawlDelay("Bot");
    (void)RobotsVerdictLine(rules, "Bot", path);
  }
  for (const char* body : {"", ":", "::::", "\n\n\r\r", "\xEF\xBB", "\xEF\xBB\xBF", "#", "*", "User-agent",
                           "User-agent:\nDisallow:\n", "Disallow: %", "User-agent: *\nDisallow: $",
                           "User-agent: *\nDisallow: *$", "User-agent: *\nAllow: *****"}) {
    auto rules = RobotsRules::Parse(body);
    (void)rules.IsAllowed("x", "/a%");
    (void)rules.IsAllowed("x", "/");
  }
}

TEST(Robots, Robots_WarningsQuoteInputSafely) {
  auto rules = RobotsRules::Parse("\x01\xFFkey" + std::string(200, 'k') + ": v\n");
  ASSERT_EQ(rules.warnings().size(), 1u);
  const std::string& w = rules.warnings()[0];
  EXPECT_LT(w.size(), 120u);
  for (char c : w) EXPECT_TRUE(c >= 0x20 && c < 0x7F) << w;
}

}  // namespace
}  // namespace newshound

// ParseUrl against the WHATWG URL Standard (https://url.spec.whatwg.org/).
// Each expectation is what the standard's basic URL parser and serializer
// give; test names name the rule. Inputs are written as a browser would meet
// them in an href.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "newshound/url.h"

namespace newshound {
namespace {

constexpr char kFailure[] = "failure";

// The serialization, or "failure".
std::string Parse(std::string_view input, std::string_view base = {}) {
  auto url = ParseUrl(input, base);
  return url.ok() ? *url : kFailure;
}

// --- Host parsing: IPv4 (section 3.5, IPv4 parser) ---

TEST(WhatwgUrl, Ipv4HostInHexOctalOrShortFormIsSerializedDottedDecimal) {
  EXPECT_EQ(Parse("http://0x7f.1/"), "http://127.0.0.1/");
  EXPECT_EQ(Parse("http://127.1/"), "http://127.0.0.1/");
  EXPECT_EQ(Parse("http://017700000001/"), "http://127.0.0.1/");
  EXPECT_EQ(Parse("http://2130706433/"), "http://127.0.0.1/");
  EXPECT_EQ(Parse("http://0177.0.0.1/"), "http://127.0.0.1/");
  EXPECT_EQ(Parse("http://0x7F000001/"), "http://127.0.0.1/");
  EXPECT_EQ(Parse("http://0x/"), "http://0.0.0.0/");
  EXPECT_EQ(Parse("http://4294967295/"), "http://255.255.255.255/");
}

TEST(WhatwgUrl, Ipv4LastPartFillsTheRemainingBytes) {
  EXPECT_EQ(Parse("http://1.256/"), "http://1.0.1.0/");
  EXPECT_EQ(Parse("http://1.65536/"), "http://1.1.0.0/");
  EXPECT_EQ(Parse("http://1.2.65536/"), kFailure);
}

TEST(WhatwgUrl, Ipv4AllowsOneTrailingDot) { EXPECT_EQ(Parse("http://1.2.3.4./"), "http://1.2.3.4/"); }

TEST(WhatwgUrl, HostEndingInANumberThatIsNoIpv4AddressFailsForSpecialSchemes) {
  EXPECT_EQ(Parse("http://1.2.3.4.5/"), kFailure);  // five parts
  EXPECT_EQ(Parse("http://256.0.0.1/"), kFailure);  // a part above 255 before the last
  EXPECT_EQ(Parse("http://4294967296/"), kFailure);
  EXPECT_EQ(Parse("http://1.2.3.09/"), kFailure);   // 0-prefixed is octal, 9 is no octal digit
  EXPECT_EQ(Parse("http://foo.09/"), kFailure);     // ends in a number, so must be all IPv4
  EXPECT_EQ(Parse("http://foo.0x4/"), kFailure);
  EXPECT_EQ(Parse("http://1..2/"), kFailure);
}

TEST(WhatwgUrl, HostNotEndingInANumberIsADomain) { EXPECT_EQ(Parse("http://09.com/"), "http://09.com/"); }

TEST(WhatwgUrl, NonSpecialHostsAreOpaqueAndNeverIpv4) {
  EXPECT_EQ(Parse("sc://1.2.3.4.5/"), "sc://1.2.3.4.5/");
  EXPECT_EQ(Parse("sc://0x7f.1/"), "sc://0x7f.1/");
}

// --- Host parsing: IPv6 ---

TEST(WhatwgUrl, Ipv6IsSerializedWithTheFirstLongestZeroRunCompressed) {
  EXPECT_EQ(Parse("http://[0:0::1]/"), "http://[::1]/");
  EXPECT_EQ(Parse("http://[1:0:0:2::3:0]/"), "http://[1::2:0:0:3:0]/");
  EXPECT_EQ(Parse("http://[0:1:0:0:0:1:0:0]/"), "http://[0:1::1:0:0]/");
  EXPECT_EQ(Parse("http://[FEDC:BA98::3210]/"), "http://[fedc:ba98::3210]/");
  EXPECT_EQ(Parse("http://[::1]:8080/"), "http://[::1]:8080/");
}

TEST(WhatwgUrl, Ipv6WithEmbeddedIpv4IsSerializedAsHex) {
  EXPECT_EQ(Parse("http://[::127.0.0.1]/"), "http://[::7f00:1]/");
  EXPECT_EQ(Parse("http://[::ffff:1.2.3.4]/"), "http://[::ffff:102:304]/");
  EXPECT_EQ(Parse("http://[0:0:0:0:0:0:13.1.68.3]"), "http://[::d01:4403]/");
}

TEST(WhatwgUrl, InvalidIpv6Fails) {
  for (const char* input : {"http://[1::2::3]/", "http://[:1]/", "http://[1:2:3:4:5:6:7:8:9]/", "http://[::1.2.3.]/",
                            "http://[::01.2.3.4]/", "http://[::1/", "http://[]/", "http://[www.example.test]/"}) {
    EXPECT_EQ(Parse(input), kFailure) << input;
  }
}

// --- Host parsing: domains, IDNA and forbidden code points ---

TEST(WhatwgUrl, InternationalDomainBecomesPunycode) {
  EXPECT_EQ(Parse("https://bücher.example/"), "https://xn--bcher-kva.example/");
  EXPECT_EQ(Parse("https://b%C3%BCcher.example/"), "https://xn--bcher-kva.example/");  // percent-decoded first
  EXPECT_EQ(Parse("https://日本。jp/"), "https://xn--wgv71a.jp/");  // the ideographic full stop separates labels
}

TEST(WhatwgUrl, IdnaMapsUpperCaseAndFullwidthForms) {
  EXPECT_EQ(Parse("https://BÜCHER.Example/"), "https://xn--bcher-kva.example/");
  EXPECT_EQ(Parse("https://ＥＸＡＭＰＬＥ．ｃｏｍ/"), "https://example.com/");
  EXPECT_EQ(Parse("https://XN--BCHER-KVA.example/"), "https://xn--bcher-kva.example/");
  EXPECT_EQ(Parse("https://a\u00ADb.example/"), "https://ab.example/");  // soft hyphen maps to nothing
}

TEST(WhatwgUrl, IdnaIsNontransitional) { EXPECT_EQ(Parse("https://faß.de/"), "https://xn--fa-hia.de/"); }

TEST(WhatwgUrl, IdnaFailureFailsTheUrl) {
  EXPECT_EQ(Parse("https://xn--zz.example/"), kFailure);             // not Punycode
  EXPECT_EQ(Parse("https://a\u200Db.example/"), kFailure);           // CheckJoiners: ZWJ out of context
  EXPECT_EQ(Parse("http://\u00AD/"), kFailure);                      // maps to the empty string
}

TEST(WhatwgUrl, ForbiddenHostCodePointsFail) {
  for (const char* input : {"http://a b/", "http://a<b/", "http://a^b/", "http://a|b/", "sc://a b/", "sc://a<b/"}) {
    EXPECT_EQ(Parse(input), kFailure) << input;
  }
}

TEST(WhatwgUrl, ForbiddenDomainCodePointsFailAlsoPercentEncodedOrMapped) {
  for (const char* input : {"http://a%20b/", "http://a%25b/", "http://ex%00ample/", "http://exa\x7Fmple/",
                            "http://a＜b/"}) {
    EXPECT_EQ(Parse(input), kFailure) << input;
  }
}

TEST(WhatwgUrl, DomainsMayHoldWhatIsNotForbidden) {
  EXPECT_EQ(Parse("http://a_b.test/"), "http://a_b.test/");
  EXPECT_EQ(Parse("http://-x-.test/"), "http://-x-.test/");  // CheckHyphens is off
}

TEST(WhatwgUrl, OpaqueHostsArePercentEncodedNotIdnaMapped) {
  EXPECT_EQ(Parse("sc://bücher/"), "sc://b%C3%BCcher/");
  EXPECT_EQ(Parse("sc://a%20b/"), "sc://a%20b/");
}

TEST(WhatwgUrl, SpecialUrlWithoutHostFails) {
  EXPECT_EQ(Parse("http://"), kFailure);
  EXPECT_EQ(Parse("http://@/"), kFailure);
  EXPECT_EQ(Parse("http://user@/"), kFailure);
  EXPECT_EQ(Parse("sc://"), "sc://");  // a non-special URL may have an empty host
}

// --- Ports ---

TEST(WhatwgUrl, DefaultPortIsDropped) {
  EXPECT_EQ(Parse("http://h:80/"), "http://h/");
  EXPECT_EQ(Parse("https://h:443"), "https://h/");
  EXPECT_EQ(Parse("ws://h:80/"), "ws://h/");
  EXPECT_EQ(Parse("ftp://h:21/"), "ftp://h/");
  EXPECT_EQ(Parse("http://h:00080/"), "http://h/");
  EXPECT_EQ(Parse("http://h:/"), "http://h/");
  EXPECT_EQ(Parse("sc://h:80/"), "sc://h:80/");  // non-special schemes have no default port
}

TEST(WhatwgUrl, PortAbove65535OrNotDigitsFails) {
  EXPECT_EQ(Parse("http://h:65536/"), kFailure);
  EXPECT_EQ(Parse("sc://host:99999/"), kFailure);
  EXPECT_EQ(Parse("http://h:8a/"), kFailure);
  EXPECT_EQ(Parse("http://h:0/"), "http://h:0/");
}

// --- Percent-encode sets, per component (section 1.3) ---

TEST(WhatwgUrl, PathUsesThePathPercentEncodeSet) {
  EXPECT_EQ(Parse("http://h/ \"<>`{}^|"), "http://h/%20%22%3C%3E%60%7B%7D%5E|");
  EXPECT_EQ(Parse("http://h/é"), "http://h/%C3%A9");
}

TEST(WhatwgUrl, SpecialQueryAlsoEncodesTheApostrophe) {
  EXPECT_EQ(Parse("http://h/?a b\"<>'`{}"), "http://h/?a%20b%22%3C%3E%27`{}");
  EXPECT_EQ(Parse("sc://h/?a b'"), "sc://h/?a%20b'");
}

TEST(WhatwgUrl, FragmentUsesTheFragmentPercentEncodeSet) {
  EXPECT_EQ(Parse("http://h/#a b\"<>`'{}#"), "http://h/#a%20b%22%3C%3E%60'{}#");
}

TEST(WhatwgUrl, UserinfoUsesTheUserinfoPercentEncodeSet) {
  EXPECT_EQ(Parse("http://a^b:c|d=e@h/"), "http://a%5Eb:c%7Cd%3De@h/");
  EXPECT_EQ(Parse("http://a@b@h/"), "http://a%40b@h/");   // only the last '@' ends the userinfo
  EXPECT_EQ(Parse("http://a:b:c@h/"), "http://a:b%3Ac@h/");  // only the first ':' starts the password
  EXPECT_EQ(Parse("https://:@test"), "https://test/");    // empty credentials are not serialized
}

TEST(WhatwgUrl, OpaquePathUsesTheC0ControlPercentEncodeSet) {
  EXPECT_EQ(Parse("mailto:a b\x01\xC3\xA9"), "mailto:a b%01%C3%A9");
}

TEST(WhatwgUrl, ExistingPercentEscapesAreKeptAsWritten) {
  EXPECT_EQ(Parse("http://h/%7e%zz?%7e#%7e"), "http://h/%7e%zz?%7e#%7e");
}

// --- Input clean-up and backslashes (basic URL parser, first steps) ---

TEST(WhatwgUrl, LeadingAndTrailingC0ControlsAndSpacesAreTrimmed) {
  EXPECT_EQ(Parse("  \x01http://h/a \x1F "), "http://h/a");
}

TEST(WhatwgUrl, TabsAndNewlinesAnywhereAreRemoved) {
  EXPECT_EQ(Parse("ht\ttp://h/a\tb\nc\r"), "http://h/abc");
  EXPECT_EQ(Parse("java\nscript:alert(1)"), "javascript:alert(1)");
}

TEST(WhatwgUrl, BackslashIsASlashOnlyInSpecialUrls) {
  EXPECT_EQ(Parse("http:\\\\h\\a\\b"), "http://h/a/b");
  EXPECT_EQ(Parse("http://h/a\\b"), "http://h/a/b");
  EXPECT_EQ(Parse("sc://h/a\\b"), "sc://h/a\\b");
}

// --- Path segments ---

TEST(WhatwgUrl, DotSegmentsAreResolved) {
  EXPECT_EQ(Parse("http://h/a/./b/../c"), "http://h/a/c");
  EXPECT_EQ(Parse("http://h/a/.."), "http://h/");
  EXPECT_EQ(Parse("http://h/a/."), "http://h/a/");
  EXPECT_EQ(Parse("http://h/../../x"), "http://h/x");  // ".." at the root stays at the root
  EXPECT_EQ(Parse("sc://h/a/../b"), "sc://h/b");
}

TEST(WhatwgUrl, PercentEncodedDotSegmentsAreDotSegments) {
  EXPECT_EQ(Parse("http://h/a/%2e/b/%2E%2e/c"), "http://h/a/c");
  EXPECT_EQ(Parse("http://h/a/.%2e/b"), "http://h/b");
  EXPECT_EQ(Parse("http://h/a/%2e%2e%2e/"), "http://h/a/%2e%2e%2e/");  // three dots are a name
}

TEST(WhatwgUrl, HostlessPathStartingWithAnEmptySegmentIsSerializedWithSlashDot) {
  EXPECT_EQ(Parse("web+demo:/.//not-a-host/"), "web+demo:/.//not-a-host/");
  EXPECT_EQ(Parse("a:/b/..//c"), "a:/.//c");
}

// --- file: URLs ---

TEST(WhatwgUrl, FileUrlsKeepWindowsDriveLettersAtTheRoot) {
  EXPECT_EQ(Parse("file:///C:/a/../.."), "file:///C:/");
  EXPECT_EQ(Parse("file:///C|/a"), "file:///C:/a");
  EXPECT_EQ(Parse("file://C:/a"), "file:///C:/a");  // a drive letter is never a host
  EXPECT_EQ(Parse("file:c:\\foo\\bar"), "file:///c:/foo/bar");
  EXPECT_EQ(Parse("..", "file:///C:/a/b"), "file:///C:/");
  EXPECT_EQ(Parse("/x", "file:///C:/a/b"), "file:///C:/x");
  EXPECT_EQ(Parse("C|/y", "file://host/a"), "file://host/C:/y");
}

TEST(WhatwgUrl, FileUrlLocalhostIsTheEmptyHost) {
  EXPECT_EQ(Parse("file://localhost/etc"), "file:///etc");
  EXPECT_EQ(Parse("file://host/share"), "file://host/share");
  EXPECT_EQ(Parse("file:"), "file:///");
}

TEST(WhatwgUrl, DriveLettersAreOnlySpecialInFileUrls) {
  EXPECT_EQ(Parse("http://h/C|/a/../.."), "http://h/");
  EXPECT_EQ(Parse("sc:/C:/a/../.."), "sc:/");
}

// --- Non-special schemes and opaque paths ---

TEST(WhatwgUrl, NonSpecialSchemesHaveOpaquePathsKeptAlmostAsWritten) {
  EXPECT_EQ(Parse("mailto:Desk@Example.TEST?subject=a b"), "mailto:Desk@Example.TEST?subject=a%20b");
  EXPECT_EQ(Parse("data:text/html,<b>hi</b>"), "data:text/html,<b>hi</b>");
  EXPECT_EQ(Parse("JavaScript:alert(1)"), "javascript:alert(1)");  // only the scheme is lower-cased
  EXPECT_EQ(Parse("urn:isbn:0451450523"), "urn:isbn:0451450523");
  EXPECT_EQ(Parse("sc:\\../"), "sc:\\../");
}

TEST(WhatwgUrl, OpaquePathSpaceBeforeQueryOrFragmentIsEncoded) {
  EXPECT_EQ(Parse("data:,a b ?c"), "data:,a b%20?c");
  EXPECT_EQ(Parse("data:,a b #c"), "data:,a b%20#c");
}

TEST(WhatwgUrl, RelativeReferenceAgainstAnOpaquePathOnlyTakesAFragment) {
  EXPECT_EQ(Parse("x", "mailto:a@b"), kFailure);
  EXPECT_EQ(Parse("#y", "mailto:a@b"), "mailto:a@b#y");
}

TEST(WhatwgUrl, RelativeReferenceWithoutABaseFails) {
  EXPECT_EQ(Parse("/news/"), kFailure);
  EXPECT_EQ(Parse(""), kFailure);
}

// --- Relative resolution against a base ---

constexpr char kBase[] = "http://a.test/b/c;p?q#f";

TEST(WhatwgUrl, QueryOnlyReferenceKeepsThePath) { EXPECT_EQ(Parse("?x", kBase), "http://a.test/b/c;p?x"); }

TEST(WhatwgUrl, FragmentOnlyReferenceKeepsPathAndQuery) { EXPECT_EQ(Parse("#y", kBase), "http://a.test/b/c;p?q#y"); }

TEST(WhatwgUrl, EmptyReferenceIsTheBaseWithoutItsFragment) { EXPECT_EQ(Parse("", kBase), "http://a.test/b/c;p?q"); }

TEST(WhatwgUrl, SchemeRelativeReferenceTakesOnlyTheScheme) {
  EXPECT_EQ(Parse("//other.test/p", kBase), "http://other.test/p");
  EXPECT_EQ(Parse("\\\\y\\z", kBase), "http://y/z");
  EXPECT_EQ(Parse("///x", kBase), "http://x/");  // extra slashes are skipped in special URLs
}

TEST(WhatwgUrl, PathReferencesMergeWithTheBasePath) {
  EXPECT_EQ(Parse("g", kBase), "http://a.test/b/g");
  EXPECT_EQ(Parse(".", kBase), "http://a.test/b/");
  EXPECT_EQ(Parse("..", kBase), "http://a.test/");
  EXPECT_EQ(Parse("/./g", kBase), "http://a.test/g");
  EXPECT_EQ(Parse("g;x=1/../y", kBase), "http://a.test/b/y");
  EXPECT_EQ(Parse("\\x", kBase), "http://a.test/x");
}

TEST(WhatwgUrl, DotDotBeyondTheRootStaysAtTheRoot) { EXPECT_EQ(Parse("../../../../x", kBase), "http://a.test/x"); }

TEST(WhatwgUrl, SameSpecialSchemeWithoutSlashesIsRelative) {
  EXPECT_EQ(Parse("http:g", kBase), "http://a.test/b/g");
  EXPECT_EQ(Parse("https:g", kBase), "https://g/");  // another special scheme: g is the host
}

TEST(WhatwgUrl, AbsoluteReferencesIgnoreTheBase) {
  EXPECT_EQ(Parse("mailto:z", kBase), "mailto:z");
  EXPECT_EQ(Parse("x:y", kBase), "x:y");
  EXPECT_EQ(Parse("//", kBase), kFailure);
}

TEST(WhatwgUrl, ErrorsNameTheInputAndTheReason) {
  auto url = ParseUrl("http://[::1/");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.status().message(), "invalid URL 'http://[::1/': invalid IPv6 address");
  auto base = ParseUrl("x", "no base");
  ASSERT_FALSE(base.ok());
  EXPECT_NE(base.status().message().find("'no base'"), std::string::npos) << base.status().message();
}

TEST(WhatwgUrl, SerializationParsesBackToItself) {
  for (const char* input : {"HTTP://User:P%61ss@BÜCHER.example:8080/a/../%7e b?q=1 2#f g", "file:///C|/x/./y",
                            "data:,a b ?c", "web+demo:/.//x", "http://[0:0::1]/", "http://0x7f.1/a\\b"}) {
    const std::string once = Parse(input);
    ASSERT_NE(once, kFailure) << input;
    EXPECT_EQ(Parse(once), once) << input;
  }
}

}  // namespace
}  // namespace newshound

#include "frontier/seen_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace newshound::frontier {
namespace {

std::string Url(size_t i) {
  return "https://host" + std::to_string(i % 997) + ".example/news/world/story-" +
         std::to_string(i) + ".html";
}

// Deterministic, well spread fingerprints (splitmix64).
uint64_t Mixed(uint64_t i) {
  uint64_t z = i + 0x9e3779b97f4a7c15u;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

TEST(SeenSet, InsertedUrlsAreMembersOthersAreNot) {
  SeenSet seen;
  EXPECT_FALSE(seen.Contains("https://a.test/"));
  EXPECT_TRUE(seen.Insert("https://a.test/"));
  EXPECT_TRUE(seen.Contains("https://a.test/"));
  EXPECT_FALSE(seen.Contains("https://a.test/other"));
  EXPECT_FALSE(seen.Contains(""));
  EXPECT_EQ(seen.size(), 1u);
}

TEST(SeenSet, DuplicateInsertReturnsFalseAndAddsNothing) {
  SeenSet seen;
  EXPECT_TRUE(seen.Insert("https://a.test/x"));
  const size_t bytes = seen.memory_bytes();
  EXPECT_FALSE(seen.Insert("https://a.test/x"));
  EXPECT_FALSE(seen.InsertFingerprint(SeenSet::Fingerprint("https://a.test/x")));
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.memory_bytes(), bytes);
}

TEST(SeenSet, UrlAndFingerprintCallsAgree) {
  SeenSet seen;
  seen.InsertFingerprint(SeenSet::Fingerprint("https://a.test/by-fingerprint"));
  EXPECT_TRUE(seen.Contains("https://a.test/by-fingerprint"));
  seen.Insert("https://a.test/by-url");
  EXPECT_TRUE(seen.ContainsFingerprint(SeenSet::Fingerprint("https://a.test/by-url")));
}

// Persisted fingerprints are only useful if the hash never changes: this is
// XXH3_64bits("") as published with xxHash.
TEST(SeenSet, FingerprintIsXxh3Of64Bits) {
  EXPECT_EQ(SeenSet::Fingerprint(""), 0x2d06800538d394c2u);
  EXPECT_NE(SeenSet::Fingerprint("https://a.test/"), SeenSet::Fingerprint("https://a.test"));
}

TEST(SeenSet, GrowthKeepsEveryMember) {
  SeenSet seen;
  constexpr size_t kCount = 200'000;
  for (size_t i = 0; i < kCount; ++i) ASSERT_TRUE(seen.Insert(Url(i))) << Url(i);
  EXPECT_EQ(seen.size(), kCount);
  for (size_t i = 0; i < kCount; ++i) ASSERT_TRUE(seen.Contains(Url(i))) << Url(i);
  for (size_t i = kCount; i < 2 * kCount; ++i) ASSERT_FALSE(seen.Contains(Url(i))) << Url(i);
  for (size_t i = 0; i < kCount; ++i) ASSERT_FALSE(seen.Insert(Url(i))) << Url(i);
  EXPECT_EQ(seen.size(), kCount);
}

// UINT64_MAX marks empty slots, so a member with that fingerprint is stored
// as UINT64_MAX - 1: both read as members once either is inserted.
TEST(SeenSet, ReservedEmptyValueIsStoredAsItsNeighbour) {
  SeenSet seen;
  EXPECT_FALSE(seen.ContainsFingerprint(UINT64_MAX));
  EXPECT_TRUE(seen.InsertFingerprint(UINT64_MAX));
  EXPECT_TRUE(seen.ContainsFingerprint(UINT64_MAX));
  EXPECT_TRUE(seen.ContainsFingerprint(UINT64_MAX - 1));
  EXPECT_FALSE(seen.InsertFingerprint(UINT64_MAX - 1));
  EXPECT_FALSE(seen.InsertFingerprint(UINT64_MAX));
  EXPECT_TRUE(seen.InsertFingerprint(0));
  EXPECT_TRUE(seen.ContainsFingerprint(0));
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(std::vector<uint64_t>(seen.begin(), seen.end()),
            (std::vector<uint64_t>{0, UINT64_MAX - 1}));
}

// Fingerprints whose homes are all the last slots run past the end of the
// table into its tail, which must grow with them.
TEST(SeenSet, MembersCrowdedAtTheTopSpillIntoTheTail) {
  SeenSet seen;
  constexpr uint64_t kCount = 5'000;
  for (uint64_t i = 0; i < kCount; ++i) ASSERT_TRUE(seen.InsertFingerprint(UINT64_MAX - 1 - 2 * i));
  // And some at the bottom, so growth moves both ends.
  for (uint64_t i = 0; i < kCount; ++i) ASSERT_TRUE(seen.InsertFingerprint(i * 3));
  const auto expect_all_members = [&] {
    EXPECT_EQ(seen.size(), 2 * kCount);
    for (uint64_t i = 0; i < kCount; ++i) {
      ASSERT_TRUE(seen.ContainsFingerprint(UINT64_MAX - 1 - 2 * i)) << i;
      ASSERT_FALSE(seen.ContainsFingerprint(UINT64_MAX - 2 - 2 * i)) << i;
      ASSERT_TRUE(seen.ContainsFingerprint(i * 3)) << i;
      ASSERT_FALSE(seen.ContainsFingerprint(i * 3 + 1)) << i;
    }
    const std::vector<uint64_t> exported(seen.begin(), seen.end());
    EXPECT_EQ(exported.size(), 2 * kCount);
    EXPECT_TRUE(std::is_sorted(exported.begin(), exported.end()));
  };
  expect_all_members();
  // Growing by other than the usual factor, with a long tail to carry over.
  seen.Reserve(3 * kCount);
  expect_all_members();
}

TEST(SeenSet, ExportedFingerprintsAreAscendingAndReloadToTheSameSet) {
  SeenSet seen;
  constexpr size_t kCount = 50'000;
  for (size_t i = 0; i < kCount; ++i) seen.Insert(Url(i));
  seen.InsertFingerprint(UINT64_MAX);

  const std::vector<uint64_t> exported(seen.begin(), seen.end());
  ASSERT_EQ(exported.size(), seen.size());
  EXPECT_TRUE(std::is_sorted(exported.begin(), exported.end()));
  EXPECT_TRUE(std::adjacent_find(exported.begin(), exported.end()) == exported.end());

  SeenSet reloaded;
  reloaded.InsertFingerprints(exported);
  EXPECT_EQ(reloaded.size(), seen.size());
  EXPECT_EQ(std::vector<uint64_t>(reloaded.begin(), reloaded.end()), exported);
  for (size_t i = 0; i < kCount; ++i) ASSERT_TRUE(reloaded.Contains(Url(i))) << Url(i);
  EXPECT_TRUE(reloaded.ContainsFingerprint(UINT64_MAX));
  EXPECT_FALSE(reloaded.Contains(Url(kCount)));
}

// SQLite keeps signed 64-bit integers; the documented casts round-trip.
TEST(SeenSet, FingerprintsRoundTripThroughSignedStorage) {
  SeenSet seen;
  seen.Insert("https://a.test/");
  seen.InsertFingerprint(UINT64_C(0x8000000000000000));
  std::vector<int64_t> stored;
  for (uint64_t fingerprint : seen) stored.push_back(static_cast<int64_t>(fingerprint));
  SeenSet reloaded;
  for (int64_t value : stored) reloaded.InsertFingerprint(static_cast<uint64_t>(value));
  EXPECT_TRUE(reloaded.Contains("https://a.test/"));
  EXPECT_TRUE(reloaded.ContainsFingerprint(UINT64_C(0x8000000000000000)));
}

TEST(SeenSet, BulkLoadAcceptsDuplicatesAndKeepsExistingMembers) {
  SeenSet seen;
  seen.Insert("https://a.test/kept");
  const std::vector<uint64_t> batch = {5, 7, 5, SeenSet::Fingerprint("https://a.test/kept")};
  seen.InsertFingerprints(batch);
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_TRUE(seen.Contains("https://a.test/kept"));
  EXPECT_TRUE(seen.ContainsFingerprint(5));
  EXPECT_TRUE(seen.ContainsFingerprint(7));
}

// The size bound is a property of the growth rule, not a measurement: once
// the table has grown at all, it never takes more than 16 bytes a member.
TEST(SeenSet, AtMost16BytesPerMemberAfterEveryGrowth) {
  SeenSet seen;
  size_t last_bytes = 0;
  size_t changes = 0;
  bool grown = false;
  for (size_t i = 0; i < 400'000; ++i) {
    seen.Insert(Url(i));
    if (seen.memory_bytes() != last_bytes) {
      grown = last_bytes != 0;
      last_bytes = seen.memory_bytes();
      ++changes;
    }
    if (grown) {
      ASSERT_LE(seen.memory_bytes(), 16 * seen.size())
          << "at " << seen.size() << " members, " << seen.memory_bytes() << " bytes";
    }
  }
  EXPECT_GT(changes, 20u);  // the bound was checked across many growths
}

TEST(SeenSet, SpreadFingerprintsStayUnder16BytesPerMember) {
  SeenSet seen;
  bool grown = false;
  size_t first_bytes = 0;
  for (uint64_t i = 0; i < 300'000; ++i) {
    seen.InsertFingerprint(Mixed(i));
    if (first_bytes == 0) first_bytes = seen.memory_bytes();
    grown = grown || seen.memory_bytes() != first_bytes;
    if (grown) {
      ASSERT_LE(seen.memory_bytes(), 16 * seen.size()) << "at " << seen.size();
    }
  }
  for (uint64_t i = 0; i < 300'000; ++i) ASSERT_TRUE(seen.ContainsFingerprint(Mixed(i))) << i;
}

TEST(SeenSet, ReserveSizesForSevenEighthsLoadAndDoesNotGrowAgain) {
  SeenSet seen;
  seen.Reserve(100'000);
  const size_t bytes = seen.memory_bytes();
  // 100,000 / (7/8) = 114,286 slots of 8 bytes, plus the tail.
  EXPECT_GE(bytes, 114'286u * 8);
  EXPECT_LE(bytes, 114'286u * 8 + 4096);
  for (size_t i = 0; i < 100'000; ++i) seen.Insert(Url(i));
  EXPECT_LE(seen.memory_bytes(), bytes + 4096);  // at most the tail grew
  EXPECT_LE(seen.memory_bytes(), 10 * seen.size());
  seen.Reserve(10);  // smaller than the table: no-op
  EXPECT_LE(seen.memory_bytes(), bytes + 4096);
}

TEST(SeenSet, MovedFromSetIsEmptyAndUsable) {
  SeenSet seen;
  seen.Insert("https://a.test/");
  SeenSet moved = std::move(seen);
  EXPECT_TRUE(moved.Contains("https://a.test/"));
  EXPECT_EQ(seen.size(), 0u);  // NOLINT(bugprone-use-after-move): pinned on purpose
  EXPECT_FALSE(seen.Contains("https://a.test/"));
  EXPECT_TRUE(seen.Insert("https://b.test/"));
  EXPECT_TRUE(seen.begin() != seen.end());
  SeenSet empty;
  EXPECT_TRUE(empty.begin() == empty.end());
}

}  // namespace
}  // namespace newshound::frontier

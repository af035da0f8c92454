// The content decoder on its own: every coding, any split of the input,
// the output cap, and hostile input (it must fail with a reason, never
// crash).
#include "decode/content_encoding.h"

#include "compress.h"

#include <brotli/encode.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <stdexcept>
#include <string>

namespace newshound::decode {
namespace {

// --- Encoders for the test data ------------------------------------------------

// windowBits as zlib takes them: 16+15 gzip, 15 zlib, -15 raw deflate.
using test::Brotli;
using test::Deflate;
using test::Gzip;
using test::RawDeflate;
using test::Zlib;

// gzip of `size` zero bytes, compressed a piece at a time: a bomb without
// holding its decoded size in memory.
std::string GzipOfZeros(uint64_t size) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 9, Z_DEFAULT_STRATEGY);
  const std::string zeros(1 << 20, '\0');
  std::string out;
  char buffer[16384];
  uint64_t left = size;
  int flush = Z_NO_FLUSH;
  do {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, zeros.size()));
    left -= n;
    flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    z.avail_in = static_cast<uInt>(n);
    do {
      z.next_out = reinterpret_cast<Bytef*>(buffer);
      z.avail_out = sizeof(buffer);
      deflate(&z, flush);
      out.append(buffer, sizeof(buffer) - z.avail_out);
    } while (z.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&z);
  return out;
}

// Text that compresses, but not trivially: words in a varying order.
std::string SampleText(size_t size) {
  static const char* kWords[] = {"news", "Rabat", "minister", "said", "on", "Tuesday", "الرباط", "the",
                                 "council", "\n<p>", "</p>", "2024", "agency", "of", "report"};
  std::mt19937 rng(42);
  std::string text;
  while (text.size() < size) {
    text += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
    text += ' ';
  }
  text.resize(size);
  return text;
}

struct Decoded {
  bool ok = false;
  DecodeFailure failure = DecodeFailure::kNone;
  std::string message;
  std::string body;
};

// Feeds `encoded` in pieces of `piece` bytes (0: all at once).
Decoded Decode(std::string_view content_encoding, std::string_view encoded, size_t piece = 0,
               uint64_t max_output = 1 << 30) {
  ContentDecoder decoder(content_encoding, max_output);
  if (piece == 0) piece = encoded.size() + 1;
  for (size_t at = 0; at < encoded.size(); at += piece) {
    if (!decoder.Feed(encoded.substr(at, piece))) break;
  }
  Decoded result;
  result.ok = decoder.Finish();
  result.failure = decoder.failure();
  result.message = decoder.message();
  result.body = decoder.TakeOutput();
  return result;
}

// --- Each coding ------------------------------------------------------------------

TEST(ContentEncoding, IdentityPassesTheBodyThrough) {
  const std::string body = SampleText(3000);
  for (const char* header : {"", "identity", "Identity , identity", " , "}) {
    Decoded decoded = Decode(header, body, 7);
    ASSERT_TRUE(decoded.ok) << header << ": " << decoded.message;
    EXPECT_EQ(decoded.body, body) << header;
    EXPECT_TRUE(ContentDecoder(header, 10).codings().empty()) << header;
  }
}

TEST(ContentEncoding, EachCodingDecodesToTheOriginalBytes) {
  const std::string body = SampleText(100'000);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"gzip", Gzip(body)},        {"x-gzip", Gzip(body)},      {"GZIP", Gzip(body)},
      {"deflate", Zlib(body)},     {"deflate", RawDeflate(body)}, {"br", Brotli(body)},
      {"identity, gzip", Gzip(body)},
  };
  for (const auto& [header, encoded] : cases) {
    ASSERT_LT(encoded.size(), body.size() / 2) << header;  // really compressed
    Decoded decoded = Decode(header, encoded);
    ASSERT_TRUE(decoded.ok) << header << ": " << decoded.message;
    EXPECT_EQ(decoded.body, body) << header;
  }
}

TEST(ContentEncoding, ByteByByteFeedingGivesTheSameOutput) {
  const std::string body = SampleText(20'000);
  for (const auto& [header, encoded] : std::vector<std::pair<std::string, std::string>>{
           {"gzip", Gzip(body)}, {"deflate", Zlib(body)}, {"deflate", RawDeflate(body)}, {"br", Brotli(body)},
           {"gzip, br", Brotli(Gzip(body))}}) {
    for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{1000}}) {
      Decoded decoded = Decode(header, encoded, piece);
      ASSERT_TRUE(decoded.ok) << header << " in pieces of " << piece << ": " << decoded.message;
      EXPECT_EQ(decoded.body, body) << header << " in pieces of " << piece;
    }
  }
}

TEST(ContentEncoding, ListedCodingsAreUndoneInReverseOrder) {
  const std::string body = SampleText(5000);
  // The server applied gzip, then br: br comes off first.
  Decoded decoded = Decode("gzip, br", Brotli(Gzip(body)), 100);
  ASSERT_TRUE(decoded.ok) << decoded.message;
  EXPECT_EQ(decoded.body, body);
  EXPECT_EQ(ContentDecoder("gzip, br", 10).codings(), (std::vector<std::string>{"br", "gzip"}));
  // Also as two header fields joined by the fetcher, and doubled gzip.
  EXPECT_EQ(Decode("deflate,gzip", Gzip(Zlib(body))).body, body);
  EXPECT_EQ(Decode("gzip, gzip", Gzip(Gzip(body)), 9).body, body);
  // In the wrong order it is not a valid stream.
  EXPECT_FALSE(Decode("br, gzip", Brotli(Gzip(body))).ok);
}

TEST(ContentEncoding, GzipConcatenatedMembersAreAllDecoded) {
  const std::string encoded = Gzip("first member, ") + Gzip("") + Gzip("second member");
  for (size_t piece : {size_t{0}, size_t{1}, size_t{5}}) {
    Decoded decoded = Decode("gzip", encoded, piece);
    ASSERT_TRUE(decoded.ok) << decoded.message;
    EXPECT_EQ(decoded.body, "first member, second member") << piece;
  }
}

TEST(ContentEncoding, BytesAfterTheEndOfTheStreamAreIgnored) {
  // Some servers pad; browsers and gunzip ignore what follows the end.
  EXPECT_EQ(Decode("gzip", Gzip("body") + "\n").body, "body");
  EXPECT_EQ(Decode("gzip", Gzip("body") + std::string(100, '\0'), 1).body, "body");
  EXPECT_EQ(Decode("deflate", Zlib("body") + "junk").body, "body");
  EXPECT_EQ(Decode("br", Brotli("body") + "junk").body, "body");
}

TEST(ContentEncoding, DeflateTellsZlibFromRawByTheHeader) {
  const std::string body = SampleText(2000);
  const std::string zlib = Zlib(body);
  const std::string raw = RawDeflate(body);
  ASSERT_EQ(zlib.substr(2, zlib.size() - 6), raw);  // same data, zlib adds header and Adler-32
  EXPECT_EQ(Decode("deflate", zlib, 1).body, body);
  EXPECT_EQ(Decode("deflate", raw, 1).body, body);
  // The Adler-32 of the zlib form is checked.
  std::string bad = zlib;
  bad.back() ^= 0x01;
  Decoded decoded = Decode("deflate", bad);
  EXPECT_EQ(decoded.failure, DecodeFailure::kCorrupt) << decoded.message;
  // Raw deflate of nothing is just two bytes.
  Decoded empty = Decode("deflate", RawDeflate(""), 1);
  EXPECT_TRUE(empty.ok) << empty.message;
  EXPECT_EQ(empty.body, "");
}

TEST(ContentEncoding, EmptyBodyIsEmptyWhateverTheCoding) {
  for (const char* header : {"gzip", "deflate", "br", "gzip, br"}) {
    Decoded decoded = Decode(header, "");
    EXPECT_TRUE(decoded.ok) << header << ": " << decoded.message;
    EXPECT_EQ(decoded.body, "");
  }
}

// --- The cap --------------------------------------------------------------------

TEST(ContentEncoding, CapAppliesToTheDecodedSize) {
  const std::string body = std::string(5000, 'a');
  const std::string encoded = Gzip(body);
  ASSERT_LT(encoded.size(), 200u);
  Decoded over = Decode("gzip", encoded, 0, 1000);
  EXPECT_FALSE(over.ok);
  EXPECT_EQ(over.failure, DecodeFailure::kTooLarge);
  EXPECT_NE(over.message.find("larger than 1000 bytes"), std::string::npos) << over.message;
  // Exactly the cap is fine; one byte less is not.
  EXPECT_TRUE(Decode("gzip", encoded, 0, 5000).ok);
  EXPECT_EQ(Decode("gzip", encoded, 0, 4999).failure, DecodeFailure::kTooLarge);
  EXPECT_EQ(Decode("", body, 0, 4999).failure, DecodeFailure::kTooLarge);
  EXPECT_TRUE(Decode("", body, 0, 5000).ok);
}

TEST(ContentEncoding, BombIsCutOffSoonAfterTheCap) {
  // 64 MiB of zeros in about 64 KiB.
  const std::string bomb = GzipOfZeros(uint64_t{64} << 20);
  const uint64_t cap = 1 << 20;
  ContentDecoder decoder("gzip", cap);
  size_t fed = 0;
  while (fed < bomb.size() && decoder.Feed(std::string_view(bomb).substr(fed, 4096))) fed += 4096;
  EXPECT_EQ(decoder.failure(), DecodeFailure::kTooLarge);
  EXPECT_LE(decoder.output().size(), cap);
  // It stopped within a piece or two of input past the 1 MiB mark (about
  // 1 KiB of input), far from the end of the stream.
  EXPECT_LT(fed, 3 * 4096u);
  EXPECT_FALSE(decoder.Finish());
}

TEST(ContentEncoding, NestedBombIsCutOff) {
  // gzip of a gzip bomb: the outer layer is small, the inner one huge.
  const std::string inner = GzipOfZeros(uint64_t{64} << 20);
  const std::string outer = Gzip(inner);
  ASSERT_LT(outer.size(), inner.size());
  Decoded decoded = Decode("gzip, gzip", outer, 512, 100'000);
  EXPECT_EQ(decoded.failure, DecodeFailure::kTooLarge);
  EXPECT_LE(decoded.body.size(), 100'000u);
}

// --- Bad input --------------------------------------------------------------------

TEST(ContentEncoding, UnknownCodingFailsFromTheStart) {
  ContentDecoder zstd("zstd", 1000);
  EXPECT_EQ(zstd.failure(), DecodeFailure::kUnsupported);
  EXPECT_EQ(zstd.message(), "unsupported Content-Encoding 'zstd'");
  EXPECT_FALSE(zstd.Feed("x"));
  EXPECT_FALSE(zstd.Finish());
  EXPECT_EQ(ContentDecoder("gzip, compress", 1000).message(), "unsupported Content-Encoding 'compress'");
  EXPECT_EQ(ContentDecoder("gzip;q=1", 1000).failure(), DecodeFailure::kUnsupported);
  // Control characters from the network do not reach the message.
  EXPECT_EQ(ContentDecoder("a\x01\x7f", 1000).message(), "unsupported Content-Encoding 'a?\?'");
  ContentDecoder many("gzip, gzip, gzip, gzip, gzip", 1000);
  EXPECT_EQ(many.failure(), DecodeFailure::kUnsupported);
  EXPECT_NE(many.message().find("at most 4"), std::string::npos) << many.message();
}

TEST(ContentEncoding, CutStreamIsTruncated) {
  const std::string body = SampleText(20'000);
  for (const auto& [header, encoded] : std::vector<std::pair<std::string, std::string>>{
           {"gzip", Gzip(body)}, {"deflate", Zlib(body)}, {"deflate", RawDeflate(body)}, {"br", Brotli(body)}}) {
    for (size_t keep : {size_t{1}, encoded.size() / 2, encoded.size() - 1}) {
      Decoded decoded = Decode(header, encoded.substr(0, keep), 100);
      EXPECT_EQ(decoded.failure, DecodeFailure::kTruncated) << header << " cut at " << keep << ": " << decoded.message;
      EXPECT_NE(decoded.message.find(header), std::string::npos) << decoded.message;
    }
  }
}

TEST(ContentEncoding, GarbageIsCorrupt) {
  const std::string garbage = "<html>this was never compressed</html>";
  for (const char* header : {"gzip", "deflate", "br"}) {
    Decoded decoded = Decode(header, garbage);
    EXPECT_EQ(decoded.failure, DecodeFailure::kCorrupt) << header << ": " << decoded.message;
    EXPECT_FALSE(decoded.message.empty());
  }
  // A flipped byte in the gzip trailer (CRC-32).
  std::string bad = Gzip(SampleText(1000));
  bad[bad.size() - 6] ^= 0x10;
  EXPECT_EQ(Decode("gzip", bad).failure, DecodeFailure::kCorrupt);
}

TEST(ContentEncoding, HostileInputNeverCrashesAndStaysUnderTheCap) {
  // Random bytes and randomly damaged valid streams, in random pieces: any
  // outcome but a crash or an output over the cap is acceptable.
  std::mt19937 rng(7);
  const std::string body = SampleText(30'000);
  const std::vector<std::pair<std::string, std::string>> valid = {
      {"gzip", Gzip(body)}, {"deflate", Zlib(body)}, {"deflate", RawDeflate(body)}, {"br", Brotli(body)},
      {"gzip, br", Brotli(Gzip(body))}};
  for (int round = 0; round < 600; ++round) {
    const auto& [header, stream] = valid[rng() % valid.size()];
    std::string input;
    if (round % 3 == 0) {
      input.resize(rng() % 4000);
      for (char& c : input) c = static_cast<char>(rng());
    } else {
      input = stream;
      for (int flips = 1 + static_cast<int>(rng() % 8); flips > 0; --flips) {
        input[rng() % input.size()] ^= static_cast<char>(1 + rng() % 255);
      }
      if (round % 5 == 0) input.resize(rng() % input.size());
    }
    const uint64_t cap = 10'000 + rng() % 40'000;
    ContentDecoder decoder(header, cap);
    for (size_t at = 0; at < input.size();) {
      const size_t piece = 1 + rng() % 3000;
      if (!decoder.Feed(std::string_view(input).substr(at, piece))) break;
      at += piece;
    }
    decoder.Finish();
    EXPECT_LE(decoder.output().size(), cap);
    if (decoder.failed()) {
      EXPECT_FALSE(decoder.message().empty());
    }
  }
}

}  // namespace
}  // namespace newshound::decode

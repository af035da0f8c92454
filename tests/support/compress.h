// Compressing test payloads (the reverse of what the fetcher decodes), shared
// by the decoder's unit tests and the fetcher's loopback tests.
#ifndef NEWSHOUND_TESTS_SUPPORT_COMPRESS_H_
#define NEWSHOUND_TESTS_SUPPORT_COMPRESS_H_

#include <string>
#include <string_view>

namespace newshound::test {

// zlib's deflate with the given windowBits: 16+15 gzip, 15 zlib, -15 raw.
// Throws std::runtime_error on failure.
std::string Deflate(std::string_view data, int window_bits, int level = 6);
inline std::string Gzip(std::string_view data) { return Deflate(data, 16 + 15); }
inline std::string Zlib(std::string_view data) { return Deflate(data, 15); }
inline std::string RawDeflate(std::string_view data) { return Deflate(data, -15); }
// Every member of a gzip stream, concatenated (what zcat prints). Throws
// std::runtime_error on damaged data or a stream cut short.
std::string Gunzip(std::string_view data);
// Brotli, quality 5. Throws std::runtime_error on failure.
std::string Brotli(std::string_view data);

}  // namespace newshound::test

#endif  // NEWSHOUND_TESTS_SUPPORT_COMPRESS_H_

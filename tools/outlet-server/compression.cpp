#include "compression.h"

#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>

namespace newshound::outlet {
namespace {

constexpr std::uint64_t kZerosPerUnit = 1 << 20;
constexpr std::size_t kBombPiece = 16 * 1024;
// Fast enough for test sites of a few MB, and still a real compression.
constexpr int kZlibLevel = 6;
constexpr int kBrotliQuality = 5;

char ToLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string Lower(std::string_view text) {
  std::string out;
  for (char c : text) out += ToLower(c);
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    std::size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// A weight (RFC 9110 12.4.2): "0", "0.5", "1.000". nullopt when malformed.
std::optional<double> ParseWeight(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  for (char c : text) {
    if (!(c >= '0' && c <= '9') && c != '.') return std::nullopt;
  }
  const double q = std::strtod(std::string(text).c_str(), nullptr);
  if (q < 0 || q > 1) return std::nullopt;
  return q;
}

// Accept-Encoding as (lower-case coding, q) pairs; malformed elements are
// left out, as if not listed.
std::vector<std::pair<std::string, double>> ParseAcceptEncoding(
    std::string_view value) {
  std::vector<std::pair<std::string, double>> entries;
  for (std::string_view element : Split(value, ',')) {
    std::vector<std::string_view> parts = Split(element, ';');
    std::string name = Lower(Trim(parts[0]));
    if (name.empty()) continue;
    std::optional<double> q = 1.0;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      std::string_view parameter = Trim(parts[i]);
      if (parameter.size() >= 2 && ToLower(parameter[0]) == 'q' &&
          parameter[1] == '=') {
        q = ParseWeight(Trim(parameter.substr(2)));
      }
    }
    if (q) entries.emplace_back(std::move(name), *q);
  }
  return entries;
}

// The q the request gives `coding`: its own entry (the highest, if named
// twice), else "*", else 0.
double WeightOf(const Coding& coding,
                const std::vector<std::pair<std::string, double>>& entries) {
  std::optional<double> named;
  std::optional<double> wildcard;
  for (const auto& [name, q] : entries) {
    bool matches = false;
    switch (coding.format) {
      case Coding::Format::kBrotli:
        matches = name == "br";
        break;
      case Coding::Format::kGzip:
        matches = name == "gzip" || name == "x-gzip";
        break;
      case Coding::Format::kDeflate:
        matches = name == "deflate";
        break;
    }
    if (matches) named = std::max(named.value_or(0.0), q);
    if (name == "*") wildcard = std::max(wildcard.value_or(0.0), q);
  }
  return named.value_or(wildcard.value_or(0.0));
}

// zlib's deflate; window_bits 16+15 gzip, 15 zlib, -15 raw. Calls deflate
// with `flush` until it has said all it will.
std::optional<std::string> Deflate(std::string_view data, int window_bits,
                                   int level, int flush) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return std::nullopt;
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  std::array<char, 16384> buffer;
  int rc = Z_OK;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buffer.data());
    z.avail_out = static_cast<uInt>(buffer.size());
    rc = deflate(&z, flush);
    out.append(buffer.data(), buffer.size() - z.avail_out);
  } while (rc == Z_OK && (flush == Z_FINISH || z.avail_out == 0));
  deflateEnd(&z);
  const bool done = flush == Z_FINISH ? rc == Z_STREAM_END
                                      : (rc == Z_OK || rc == Z_BUF_ERROR);
  if (!done) return std::nullopt;
  return out;
}

// Raw deflate blocks for a MiB of zeros, not final and ending on a byte
// boundary with no reference to earlier data (full flush): any number of
// copies in a row is a valid deflate stream body. With its CRC-32.
struct ZeroUnit {
  std::string blocks;
  std::uint32_t crc = 0;
};

const ZeroUnit& TheZeroUnit() {
  static const ZeroUnit unit = [] {
    const std::string zeros(kZerosPerUnit, '\0');
    ZeroUnit u;
    u.blocks = Deflate(zeros, -15, 9, Z_FULL_FLUSH).value_or("");
    u.crc = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(zeros.data()),
              static_cast<uInt>(zeros.size())));
    return u;
  }();
  return unit;
}

void AppendLittleEndian32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    out += static_cast<char>((value >> (8 * i)) & 0xff);
  }
}

}  // namespace

std::optional<std::vector<Coding>> ParseCodings(std::string_view list,
                                                std::string& error) {
  std::vector<Coding> codings;
  for (std::string_view part : Split(list, ',')) {
    std::string name = Lower(Trim(part));
    Coding coding;
    if (name == "br") {
      coding = {Coding::Format::kBrotli, "br", false};
    } else if (name == "gzip" || name == "x-gzip") {
      coding = {Coding::Format::kGzip, name, false};
    } else if (name == "deflate") {
      coding = {Coding::Format::kDeflate, "deflate", false};
    } else if (name == "deflate-raw") {
      coding = {Coding::Format::kDeflate, "deflate", true};
    } else {
      error = "unknown coding '" + std::string(Trim(part)) +
              "' (expected br, gzip, x-gzip, deflate or deflate-raw)";
      return std::nullopt;
    }
    for (const Coding& earlier : codings) {
      if (earlier.format == coding.format) {
        error = "coding '" + name +
                "' given twice (x-gzip is gzip, "
                "deflate-raw is deflate)";
        return std::nullopt;
      }
    }
    codings.push_back(std::move(coding));
  }
  return codings;
}

std::vector<Coding> DefaultCodings() {
  return {{Coding::Format::kBrotli, "br", false},
          {Coding::Format::kGzip, "gzip", false},
          {Coding::Format::kDeflate, "deflate", false}};
}

const Coding* ChooseCoding(std::string_view accept_encoding,
                           const std::vector<Coding>& offered) {
  if (Trim(accept_encoding).empty()) return nullptr;
  const auto entries = ParseAcceptEncoding(accept_encoding);
  const Coding* best = nullptr;
  double best_q = 0;
  for (const Coding& coding : offered) {
    const double q = WeightOf(coding, entries);
    if (q > best_q) {
      best = &coding;
      best_q = q;
    }
  }
  return best;
}

std::optional<std::string> Compress(std::string_view body,
                                    const Coding& coding) {
  switch (coding.format) {
    case Coding::Format::kGzip:
      return Deflate(body, 16 + 15, kZlibLevel, Z_FINISH);
    case Coding::Format::kDeflate:
      return Deflate(body, coding.raw_deflate ? -15 : 15, kZlibLevel, Z_FINISH);
    case Coding::Format::kBrotli: {
      std::string out(BrotliEncoderMaxCompressedSize(body.size()) + 16, '\0');
      std::size_t size = out.size();
      if (!BrotliEncoderCompress(
              kBrotliQuality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT,
              body.size(), reinterpret_cast<const uint8_t*>(body.data()), &size,
              reinterpret_cast<uint8_t*>(out.data()))) {
        return std::nullopt;
      }
      out.resize(size);
      return out;
    }
  }
  return std::nullopt;
}

bool IsCompressibleType(std::string_view content_type) {
  static constexpr std::array<std::string_view, 10> kTypes = {
      "text/html",
      "text/xml",
      "application/xml",
      "application/rss+xml",
      "application/atom+xml",
      "text/css",
      "text/javascript",
      "application/javascript",
      "text/plain",
      "application/json"};
  const std::string media =
      Lower(Trim(content_type.substr(0, content_type.find(';'))));
  return std::find(kTypes.begin(), kTypes.end(), media) != kTypes.end();
}

std::optional<std::uint64_t> ParseByteSize(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  if (digits == 0 || digits > 19) return std::nullopt;
  const std::string unit = Lower(text.substr(digits));
  std::uint64_t multiplier = 1;
  if (unit == "kib") {
    multiplier = std::uint64_t{1} << 10;
  } else if (unit == "mib") {
    multiplier = std::uint64_t{1} << 20;
  } else if (unit == "gib") {
    multiplier = std::uint64_t{1} << 30;
  } else if (!unit.empty()) {
    return std::nullopt;
  }
  const std::uint64_t number = std::stoull(std::string(text.substr(0, digits)));
  constexpr std::uint64_t kMax = std::uint64_t{1} << 63;
  if (number > kMax / multiplier) return std::nullopt;
  return number * multiplier;
}

std::optional<BombRule> ParseBombRule(std::string_view spec,
                                      std::string& error) {
  const std::size_t equals = spec.rfind('=');
  if (equals == std::string_view::npos) {
    error = "expected PATH=SIZE, e.g. /bomb.html=1GiB";
    return std::nullopt;
  }
  BombRule rule;
  rule.path = std::string(spec.substr(0, equals));
  if (rule.path.empty() || rule.path.front() != '/') {
    error = "the path must start with '/'";
    return std::nullopt;
  }
  for (char c : rule.path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '?' || c == '#') {
      error =
          "the path holds a space, control or non-ASCII character, '?' "
          "or '#'; write it as the client sends it, without query";
      return std::nullopt;
    }
  }
  std::optional<std::uint64_t> size = ParseByteSize(spec.substr(equals + 1));
  if (!size) {
    error = "bad size '" + std::string(spec.substr(equals + 1)) +
            "' (bytes, or a number with KiB, MiB or GiB)";
    return std::nullopt;
  }
  rule.decoded_size = *size;
  return rule;
}

GzipZeros::GzipZeros(std::uint64_t decoded_size)
    : size_(decoded_size), left_(decoded_size) {}

bool GzipZeros::Next(std::string& piece) {
  piece.clear();
  if (finished_) return false;
  if (!started_) {
    // Magic, deflate, no flags, no time, no extra flags, Unix.
    piece.assign("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
    started_ = true;
  }
  const ZeroUnit& unit = TheZeroUnit();
  while (piece.size() < kBombPiece && left_ >= kZerosPerUnit) {
    piece += unit.blocks;
    crc_ = static_cast<std::uint32_t>(
        crc32_combine(crc_, unit.crc, static_cast<z_off_t>(kZerosPerUnit)));
    left_ -= kZerosPerUnit;
  }
  if (piece.size() < kBombPiece) {
    // The last, partial MiB in a final block, then the trailer.
    const std::string zeros(static_cast<std::size_t>(left_), '\0');
    crc_ = static_cast<std::uint32_t>(
        crc32(crc_, reinterpret_cast<const Bytef*>(zeros.data()),
              static_cast<uInt>(zeros.size())));
    piece += Deflate(zeros, -15, 9, Z_FINISH).value_or("");
    AppendLittleEndian32(piece, crc_);
    AppendLittleEndian32(piece, static_cast<std::uint32_t>(size_));
    left_ = 0;
    finished_ = true;
  }
  return true;
}

}  // namespace newshound::outlet

#include "decode/content_encoding.h"

#include <brotli/decode.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace newshound::decode {
namespace {

// Output is handed on in pieces of at most this size, so a stage never holds
// more than one piece however much a few input bytes expand.
constexpr size_t kPiece = 16 * 1024;

// zlib counts in uInt; network reads are far smaller, but a decoder of
// untrusted input must not depend on that.
constexpr size_t kMaxZlibSlice = size_t{1} << 30;

// Where a stage's output goes: the next stage, or the decoded body.
class Sink {
 public:
  virtual ~Sink() = default;
  // False: stop, the failure is recorded.
  virtual bool Put(std::string_view data) = 0;
  // No more input. False: failed (recorded).
  virtual bool End() = 0;
};

struct FailureSlot {
  DecodeFailure failure = DecodeFailure::kNone;
  std::string message;

  // Keeps the first failure: later ones are consequences. Always false, so
  // callers can `return slot.Fail(...)`.
  bool Fail(DecodeFailure kind, std::string text) {
    if (failure == DecodeFailure::kNone) {
      failure = kind;
      message = std::move(text);
    }
    return false;
  }
};

// The decoded body, capped.
class OutputSink final : public Sink {
 public:
  OutputSink(uint64_t max_output, FailureSlot& slot) : max_output_(max_output), slot_(slot) {}

  bool Put(std::string_view data) override {
    if (data.size() > max_output_ - output_.size()) {
      return slot_.Fail(DecodeFailure::kTooLarge, "decoded body larger than " + std::to_string(max_output_) + " bytes");
    }
    output_.append(data);
    return true;
  }
  bool End() override { return true; }

  std::string& output() { return output_; }

 private:
  const uint64_t max_output_;
  FailureSlot& slot_;
  std::string output_;
};

// One coding's decompressor. Each stage caps its own output too, so that in
// a chain ("gzip, gzip") an inner stage cannot make the outer one churn
// through unbounded data that decodes to nothing.
class Stage : public Sink {
 protected:
  Stage(std::string name, Sink& next, FailureSlot& slot, uint64_t max_output)
      : name_(std::move(name)), next_(next), slot_(slot), max_output_(max_output) {}

  bool Emit(const void* data, size_t size) {
    if (size == 0) return true;
    if (size > max_output_ - produced_) {
      return slot_.Fail(DecodeFailure::kTooLarge,
                        name_ + " output larger than " + std::to_string(max_output_) + " bytes");
    }
    produced_ += size;
    return next_.Put(std::string_view(static_cast<const char*>(data), size));
  }
  bool Corrupt(std::string_view why) { return slot_.Fail(DecodeFailure::kCorrupt, name_ + ": " + std::string(why)); }
  bool Truncated() {
    return slot_.Fail(DecodeFailure::kTruncated, name_ + ": the compressed data ends before its stream does");
  }
  bool EndNext() { return next_.End(); }

  const std::string name_;

 private:
  Sink& next_;
  FailureSlot& slot_;
  const uint64_t max_output_;
  uint64_t produced_ = 0;
};

// RFC 1950 header: deflate method, window at most 32 KiB, check bits.
bool IsZlibHeader(unsigned char cmf, unsigned char flg) {
  return (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((static_cast<unsigned>(cmf) << 8) | flg) % 31 == 0;
}

// gzip (RFC 1952) and deflate (RFC 1950, or raw RFC 1951).
class ZlibStage final : public Stage {
 public:
  enum class Format { kGzip, kDeflate };

  ZlibStage(Format format, Sink& next, FailureSlot& slot, uint64_t max_output)
      : Stage(format == Format::kGzip ? "gzip" : "deflate", next, slot, max_output), format_(format) {}
  ~ZlibStage() override {
    if (initialized_) inflateEnd(&z_);
  }

  bool Put(std::string_view data) override {
    while (!data.empty()) {
      switch (state_) {
        case State::kTrailing:
          // Bytes after the end: ignored, as browsers and gunzip do.
          return true;
        case State::kHead: {
          // The first two bytes decide: zlib or raw deflate; for a gzip
          // member after the first, another member or trailing junk.
          const size_t take = std::min(2 - head_.size(), data.size());
          head_.append(data.substr(0, take));
          data.remove_prefix(take);
          if (head_.size() < 2) return true;
          const std::string head = std::move(head_);
          head_.clear();
          if (!Begin(head)) return false;
          std::string_view rest = head;
          if (state_ == State::kStream && !Inflate(rest)) return false;
          // A stream may end within its first two bytes (raw deflate of
          // nothing is 03 00); what follows it is handled like any input.
          if (!rest.empty() && !Put(rest)) return false;
          break;
        }
        case State::kStream:
          if (!Inflate(data)) return false;
          break;
      }
    }
    return true;
  }

  bool End() override {
    switch (state_) {
      case State::kHead:
        // Nothing at all is an empty body; one byte of a later gzip member
        // is trailing junk; one byte of the only stream is a cut stream.
        if (!head_.empty() && streams_ == 0) return Truncated();
        break;
      case State::kStream:
        return Truncated();
      case State::kTrailing:
        break;
    }
    return EndNext();
  }

 private:
  enum class State { kHead, kStream, kTrailing };

  bool Begin(std::string_view head) {
    const auto b0 = static_cast<unsigned char>(head[0]);
    const auto b1 = static_cast<unsigned char>(head[1]);
    int window_bits = 15;
    if (format_ == Format::kGzip) {
      // After a member, only another member's magic starts a new one.
      if (streams_ > 0 && !(b0 == 0x1f && b1 == 0x8b)) {
        state_ = State::kTrailing;
        return true;
      }
      window_bits = 16 + 15;
    } else if (!IsZlibHeader(b0, b1)) {
      window_bits = -15;  // raw deflate, as sent by some servers
    }
    if (!initialized_) {
      if (inflateInit2(&z_, window_bits) != Z_OK) return Corrupt("cannot set up the decompressor");
      initialized_ = true;
    } else if (inflateReset(&z_) != Z_OK) {
      return Corrupt("cannot reset the decompressor");
    }
    state_ = State::kStream;
    return true;
  }

  // Inflates `in` until it is used up or the stream ends; `in` keeps what
  // follows the end.
  bool Inflate(std::string_view& in) {
    unsigned char out[kPiece];
    for (;;) {
      const size_t slice = std::min(in.size(), kMaxZlibSlice);
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      z_.avail_in = static_cast<uInt>(slice);
      z_.next_out = out;
      z_.avail_out = sizeof(out);
      const int rc = inflate(&z_, Z_NO_FLUSH);
      in.remove_prefix(slice - z_.avail_in);
      if (!Emit(out, sizeof(out) - z_.avail_out)) return false;
      switch (rc) {
        case Z_STREAM_END:
          ++streams_;
          state_ = format_ == Format::kGzip ? State::kHead : State::kTrailing;
          return true;
        case Z_OK:
          break;
        case Z_BUF_ERROR:
          // No progress possible: all input used (fine, wait for more).
          // With input left it cannot happen (the output buffer is empty);
          // stop rather than spin if it ever does.
          if (in.empty()) return true;
          return Corrupt("decompressor made no progress");
        case Z_NEED_DICT:
          return Corrupt("the stream needs a preset dictionary");
        default:
          return Corrupt(z_.msg != nullptr ? z_.msg : "invalid compressed data");
      }
      if (in.empty() && z_.avail_out != 0) return true;
    }
  }

  const Format format_;
  z_stream z_{};
  bool initialized_ = false;
  State state_ = State::kHead;
  std::string head_;  // up to two bytes held back by kHead
  int streams_ = 0;   // streams (gzip members) completed
};

// br (RFC 7932).
class BrotliStage final : public Stage {
 public:
  BrotliStage(Sink& next, FailureSlot& slot, uint64_t max_output)
      : Stage("br", next, slot, max_output), state_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~BrotliStage() override {
    if (state_ != nullptr) BrotliDecoderDestroyInstance(state_);
  }

  bool Put(std::string_view data) override {
    if (data.empty() || done_) return true;  // bytes after the end are ignored
    if (state_ == nullptr) return Corrupt("cannot set up the decompressor");
    any_input_ = true;
    auto next_in = reinterpret_cast<const uint8_t*>(data.data());
    size_t avail_in = data.size();
    uint8_t out[kPiece];
    for (;;) {
      uint8_t* next_out = out;
      size_t avail_out = sizeof(out);
      const BrotliDecoderResult result =
          BrotliDecoderDecompressStream(state_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
      if (!Emit(out, sizeof(out) - avail_out)) return false;
      switch (result) {
        case BROTLI_DECODER_RESULT_SUCCESS:
          done_ = true;
          return true;
        case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
          return true;
        case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
          break;
        case BROTLI_DECODER_RESULT_ERROR:
        default: {
          // Brotli's names are terse ("RESERVED", "PADDING_1").
          const char* code = BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state_));
          return Corrupt(std::string("invalid compressed data (") + (code != nullptr ? code : "?") + ")");
        }
      }
    }
  }

  bool End() override {
    if (any_input_ && !done_) return Truncated();
    return EndNext();
  }

 private:
  BrotliDecoderState* state_;
  bool any_input_ = false;
  bool done_ = false;
};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A coding name from the network, safe to put in a log line.
std::string Printable(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  std::string out;
  for (char c : text.substr(0, kMaxShown)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > kMaxShown) out += "...";
  return out;
}

// The list elements of a field value (RFC 9110 5.6.1): split at commas,
// whitespace trimmed, empty elements dropped.
std::vector<std::string_view> ListElements(std::string_view value) {
  std::vector<std::string_view> elements;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view element = value.substr(start, comma - start);
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) element.remove_prefix(1);
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) element.remove_suffix(1);
    if (!element.empty()) elements.push_back(element);
    start = comma + 1;
  }
  return elements;
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max() : a + b;
}

}  // namespace

struct ContentDecoder::Pipeline {
  FailureSlot slot;
  std::vector<std::string> codings;  // in the order they are undone
  std::unique_ptr<OutputSink> output;
  std::vector<std::unique_ptr<Stage>> stages;  // stages[0] gets the body
  bool any_input = false;
  bool finished = false;

  Sink& first() { return stages.empty() ? static_cast<Sink&>(*output) : *stages.front(); }
};

ContentDecoder::ContentDecoder(std::string_view content_encoding, uint64_t max_output)
    : pipeline_(std::make_unique<Pipeline>()) {
  Pipeline& p = *pipeline_;
  p.output = std::make_unique<OutputSink>(max_output, p.slot);

  std::vector<std::string> applied;  // in the order the server applied them
  for (std::string_view element : ListElements(content_encoding)) {
    const std::string name = Lower(element);
    if (name == "identity") continue;
    if (name == "gzip" || name == "x-gzip") {
      applied.push_back("gzip");
    } else if (name == "deflate" || name == "br") {
      applied.push_back(name);
    } else {
      p.slot.Fail(DecodeFailure::kUnsupported, "unsupported Content-Encoding '" + Printable(element) + "'");
      return;
    }
  }
  if (applied.size() > kMaxContentCodings) {
    p.slot.Fail(DecodeFailure::kUnsupported, "Content-Encoding lists " + std::to_string(applied.size()) +
                                                 " codings; at most " + std::to_string(kMaxContentCodings) +
                                                 " are undone");
    return;
  }
  p.codings.assign(applied.rbegin(), applied.rend());

  // An intermediate result is compressed data of the body, which can exceed
  // the body by deflate's or brotli's worst-case overhead (well under 1/64)
  // plus headers; more than that is not a plausible stream.
  const uint64_t stage_cap = SaturatingAdd(SaturatingAdd(max_output, max_output / 64), 64 * 1024);
  // Built from the output back, so each stage can point at its next.
  std::vector<std::unique_ptr<Stage>> reversed;
  Sink* next = p.output.get();
  for (auto it = p.codings.rbegin(); it != p.codings.rend(); ++it) {
    std::unique_ptr<Stage> stage;
    if (*it == "gzip") {
      stage = std::make_unique<ZlibStage>(ZlibStage::Format::kGzip, *next, p.slot, stage_cap);
    } else if (*it == "deflate") {
      stage = std::make_unique<ZlibStage>(ZlibStage::Format::kDeflate, *next, p.slot, stage_cap);
    } else {
      stage = std::make_unique<BrotliStage>(*next, p.slot, stage_cap);
    }
    next = stage.get();
    reversed.push_back(std::move(stage));
  }
  p.stages.assign(std::make_move_iterator(reversed.rbegin()), std::make_move_iterator(reversed.rend()));
}

ContentDecoder::~ContentDecoder() = default;

bool ContentDecoder::Feed(std::string_view encoded) {
  Pipeline& p = *pipeline_;
  if (failed() || p.finished) return !failed();
  if (encoded.empty()) return true;
  p.any_input = true;
  return p.first().Put(encoded) && !failed();
}

bool ContentDecoder::Finish() {
  Pipeline& p = *pipeline_;
  if (failed()) return false;
  if (p.finished) return true;
  p.finished = true;
  return p.first().End() && !failed();
}

DecodeFailure ContentDecoder::failure() const { return pipeline_->slot.failure; }
const std::string& ContentDecoder::message() const { return pipeline_->slot.message; }
const std::vector<std::string>& ContentDecoder::codings() const { return pipeline_->codings; }
const std::string& ContentDecoder::output() const { return pipeline_->output->output(); }
std::string ContentDecoder::TakeOutput() { return std::move(pipeline_->output->output()); }

}  // namespace newshound::decode

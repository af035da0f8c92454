#include "generated_body.h"

#include <algorithm>
#include <utility>

namespace newshound::outlet {
namespace {

constexpr std::size_t kPieceSize = 64 * 1024;

}  // namespace

void GeneratedBody::Append(std::string text, std::uint64_t count) {
  if (text.empty() || count == 0) return;
  size_ += text.size() * count;
  segments_.push_back({std::move(text), count});
}

bool GeneratedBody::Next(std::string& piece) {
  piece.clear();
  while (segment_ < segments_.size() && piece.size() < kPieceSize) {
    const Segment& segment = segments_[segment_];
    // Whole repetitions, at least one, so a text longer than a piece still
    // goes out (in a longer piece).
    const std::uint64_t room =
        std::max<std::uint64_t>(1, (kPieceSize - piece.size()) /
                                       segment.text.size());
    const std::uint64_t take = std::min(room, segment.count - done_);
    for (std::uint64_t i = 0; i < take; ++i) piece += segment.text;
    done_ += take;
    if (done_ == segment.count) {
      ++segment_;
      done_ = 0;
    }
  }
  return !piece.empty();
}

GeneratedBody HugeBody(std::uint64_t size) {
  const std::string head = "<!DOCTYPE html><html><body>\n";
  const std::string line =
      "<p>outlet-server huge body: filler text to make it large.</p>\n";
  GeneratedBody body;
  if (size <= head.size()) {
    body.Append(head.substr(0, static_cast<std::size_t>(size)));
    return body;
  }
  const std::uint64_t rest = size - head.size();
  body.Append(head);
  body.Append(line, rest / line.size());
  body.Append(line.substr(0, static_cast<std::size_t>(rest % line.size())));
  return body;
}

GeneratedBody DeepBody(std::uint64_t depth) {
  GeneratedBody body;
  body.Append(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>deep " +
      std::to_string(depth) +
      "</title></head><body>\n<a href=\"/deep/top.html\">top</a>\n");
  body.Append("<div>", depth);
  body.Append("<a href=\"/deep/inner.html\">inner</a>");
  body.Append("</div>", depth);
  body.Append("\n<a href=\"/deep/bottom.html\">bottom</a>\n</body></html>\n");
  return body;
}

}  // namespace newshound::outlet

// Response bodies that outlet-server makes up while sending them, for the
// --respond steps huge:SIZE and deep:DEPTH: a body of a gigabyte, or a page
// nested a million elements deep, is a few texts repeated many times, so
// only those texts are held, never the body.

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_GENERATED_BODY_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_GENERATED_BODY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace newshound::outlet {

// A sequence of texts, each repeated a number of times, read out piece by
// piece. Its size is known before the first piece, for Content-Length.
class GeneratedBody {
 public:
  // Adds `text` `count` times after what is there.
  void Append(std::string text, std::uint64_t count = 1);
  std::uint64_t size() const { return size_; }
  // The next piece (at most about 64 KiB, never empty); false once the body
  // is complete.
  bool Next(std::string& piece);

 private:
  struct Segment {
    std::string text;
    std::uint64_t count;
  };
  std::vector<Segment> segments_;
  std::uint64_t size_ = 0;
  std::size_t segment_ = 0;  // where Next goes on
  std::uint64_t done_ = 0;   // repetitions of segments_[segment_] sent
};

// huge:SIZE: exactly `size` bytes of "<!DOCTYPE html><html><body>\n" and then
// the line "<p>outlet-server huge body: filler text to make it large.</p>\n"
// over and over, cut off at `size` (no closing tags).
GeneratedBody HugeBody(std::uint64_t size);

// deep:DEPTH: an HTML page with a link before, inside and after `depth`
// nested <div>s:
//   <!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>deep DEPTH
//   </title></head><body>\n<a href="/deep/top.html">top</a>\n
//   <div> (DEPTH times) <a href="/deep/inner.html">inner</a> </div> (DEPTH
//   times) \n<a href="/deep/bottom.html">bottom</a>\n</body></html>\n
// (without the spaces and line breaks shown here, but with the \n).
GeneratedBody DeepBody(std::uint64_t depth);

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_GENERATED_BODY_H_

// The Beast body type the fetcher reads responses with: the bytes go to a
// ContentDecoder as they arrive. In a header of its own so that the fuzz
// target of the response path (tests/fuzz/http_response_fuzzer.cpp) parses
// with exactly what the fetcher does.
#ifndef NEWSHOUND_NET_DECODING_BODY_H_
#define NEWSHOUND_NET_DECODING_BODY_H_

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "decode/content_encoding.h"

namespace newshound::net {

// A Beast body that hands the bytes to a ContentDecoder as they arrive, so
// only the decoded body is kept, under its cap, and a compressed body is
// never held whole. The decoder is attached after the headers are read (it
// depends on Content-Encoding); the parser creates the reader only when the
// body starts.
struct DecodingBody {
  struct value_type {
    decode::ContentDecoder* decoder = nullptr;
    // Non-null: the body bytes as received (chunk framing already removed
    // by the parser, content coding still on) are appended here too, up to
    // raw_limit bytes, before the decoder sees them. For WARC records
    // (FetchSettings::record_exchanges); null costs nothing.
    std::string* raw = nullptr;
    std::uint64_t raw_limit = 0;
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>&, boost::beast::error_code& ec) { ec = {}; }

    // A decoder failure stops the parser; the caller reads the reason from
    // the decoder, the error code only says "look there".
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      std::size_t used = 0;
      for (const auto buffer : boost::beast::buffers_range_ref(buffers)) {
        if (body_.raw != nullptr && body_.raw->size() < body_.raw_limit) {
          const std::size_t room = static_cast<std::size_t>(body_.raw_limit - body_.raw->size());
          body_.raw->append(static_cast<const char*>(buffer.data()), std::min(room, buffer.size()));
        }
        if (body_.decoder == nullptr ||
            !body_.decoder->Feed(std::string_view(static_cast<const char*>(buffer.data()), buffer.size()))) {
          ec = boost::system::errc::make_error_code(boost::system::errc::bad_message);
          return used;
        }
        used += buffer.size();
      }
      ec = {};
      return used;
    }

    // Whether a compressed stream ended early is the caller's check
    // (ContentDecoder::Finish), after the transport's own.
    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

}  // namespace newshound::net

#endif  // NEWSHOUND_NET_DECODING_BODY_H_

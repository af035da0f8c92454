#include "wire_fault.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdio>
#include <sstream>
#include <utility>

namespace newshound::outlet {
namespace {

bool IsBodiless(unsigned status) {
  return status / 100 == 1 || status == 204 || status == 304;
}

std::string Hex(std::size_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "%zx", value);
  return buffer;
}

}  // namespace

std::string HeadText(const Response& response) {
  std::ostringstream out;
  out << response.base();
  return std::move(out).str();
}

FaultyWire MakeFaultyWire(Response response, Reply::Wire wire, bool head) {
  FaultyWire out;
  const std::string body = std::move(response.body());
  const std::size_t half = body.size() / 2;
  switch (wire) {
    case Reply::Wire::kWhole:
    case Reply::Wire::kDrip:
      out.bytes = HeadText(response) + body;
      out.body_bytes = body.size();
      break;
    case Reply::Wire::kShort:
    case Reply::Wire::kResetBody:
      out.bytes = HeadText(response) + body.substr(0, half);
      out.body_bytes = half;
      out.end = wire == Reply::Wire::kShort ? FaultyWire::End::kClose
                                            : FaultyWire::End::kReset;
      break;
    case Reply::Wire::kBadChunk:
      out.end = FaultyWire::End::kClose;
      if (IsBodiless(response.result_int())) {
        out.bytes = HeadText(response);
        break;
      }
      // The session set Content-Length, also for HEAD; a chunked response
      // has none.
      response.erase(http::field::content_length);
      response.set(http::field::transfer_encoding, "chunked");
      out.bytes = HeadText(response);
      if (head) break;
      if (half > 0) {
        out.bytes += Hex(half) + "\r\n" + body.substr(0, half) + "\r\n";
      }
      out.bytes += std::string(kBadChunkSizeLine) + "\r\n" +
                   body.substr(half) + "\r\n0\r\n\r\n";
      out.body_bytes = body.size();
      break;
    case Reply::Wire::kBadHeader: {
      std::string head = HeadText(response);
      head.insert(head.find("\r\n") + 2,
                  std::string(kBadHeaderLine) + "\r\n");
      out.bytes = head + body;
      out.body_bytes = body.size();
      break;
    }
  }
  return out;
}

}  // namespace newshound::outlet

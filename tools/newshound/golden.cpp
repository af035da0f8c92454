#include "golden.h"

#include <boost/json.hpp>

namespace newshound::cli {
namespace json = boost::json;
namespace {

// Long values (article bodies) are cut in messages; the path says where.
std::string Show(const json::value& value) {
  std::string text = json::serialize(value);
  if (text.size() > 160) text = text.substr(0, 150) + "...(" + std::to_string(text.size()) + " chars)";
  return text;
}

void Diff(const json::value& expected, const json::value& actual, const std::string& path,
          std::vector<std::string>& out) {
  if (expected.is_object() && actual.is_object()) {
    const auto& want = expected.as_object();
    const auto& got = actual.as_object();
    for (const auto& [key, value] : want) {
      const std::string child = path.empty() ? std::string(key) : path + "." + std::string(key);
      if (const json::value* other = got.if_contains(key)) {
        Diff(value, *other, child, out);
      } else {
        out.push_back(child + ": expected " + Show(value) + ", missing from the output");
      }
    }
    for (const auto& [key, value] : got) {
      if (!want.contains(key)) {
        const std::string child = path.empty() ? std::string(key) : path + "." + std::string(key);
        out.push_back(child + ": not expected, output has " + Show(value));
      }
    }
    return;
  }
  if (expected.is_array() && actual.is_array()) {
    const auto& want = expected.as_array();
    const auto& got = actual.as_array();
    const size_t common = std::min(want.size(), got.size());
    for (size_t i = 0; i < common; ++i) Diff(want[i], got[i], path + "[" + std::to_string(i) + "]", out);
    for (size_t i = common; i < want.size(); ++i)
      out.push_back(path + "[" + std::to_string(i) + "]: expected " + Show(want[i]) + ", missing from the output");
    for (size_t i = common; i < got.size(); ++i)
      out.push_back(path + "[" + std::to_string(i) + "]: not expected, output has " + Show(got[i]));
    return;
  }
  if (expected != actual) {
    out.push_back((path.empty() ? "(document)" : path) + ": expected " + Show(expected) + ", got " + Show(actual));
  }
}

void Pretty(const json::value& value, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  const std::string inner(static_cast<size_t>(indent + 1) * 2, ' ');
  if (value.is_object() && !value.as_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [key, child] : value.as_object()) {
      if (!first) out += ",\n";
      first = false;
      out += inner + json::serialize(json::string(key)) + ": ";
      Pretty(child, indent + 1, out);
    }
    out += "\n" + pad + "}";
  } else if (value.is_array() && !value.as_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& child : value.as_array()) {
      if (!first) out += ",\n";
      first = false;
      out += inner;
      Pretty(child, indent + 1, out);
    }
    out += "\n" + pad + "]";
  } else {
    out += json::serialize(value);
  }
}

}  // namespace

std::vector<std::string> DiffJson(const json::value& expected, const json::value& actual) {
  std::vector<std::string> out;
  Diff(expected, actual, "", out);
  return out;
}

std::string PrettyJson(const json::value& value) {
  std::string out;
  Pretty(value, 0, out);
  out += "\n";
  return out;
}

}  // namespace newshound::cli

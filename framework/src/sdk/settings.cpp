#include "newshound/plugin/settings.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <stdexcept>

namespace newshound::sdk {
namespace json = boost::json;

struct Settings::Impl {
  json::object object;
};

namespace {

const char* TypeName(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

[[noreturn]] void WrongType(std::string_view key, const char* expected, const json::value& got) {
  std::string message = "plugin setting '";
  message += key;
  message += "' must be ";
  message += expected;
  message += ", got ";
  message += TypeName(got);
  throw std::invalid_argument(message);
}

// The value under `key`, or nullptr when absent or null.
const json::value* Find(const json::object* object, std::string_view key) {
  if (object == nullptr) return nullptr;
  const json::value* value = object->if_contains(key);
  if (value == nullptr || value->is_null()) return nullptr;
  return value;
}

}  // namespace

Settings::Settings() = default;
Settings::Settings(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Settings Settings::Parse(std::string_view text) {
  const bool blank = std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  });
  if (blank) return Settings();
  boost::system::error_code error;
  json::value value = json::parse(text, error);
  if (error) throw std::invalid_argument("plugin_settings is not valid JSON: " + error.message());
  if (!value.is_object()) {
    throw std::invalid_argument(std::string("plugin_settings must be a JSON object, got ") + TypeName(value));
  }
  auto impl = std::make_shared<Impl>();
  impl->object = std::move(value.as_object());
  return Settings(std::move(impl));
}

bool Settings::Has(std::string_view key) const {
  return impl_ != nullptr && impl_->object.contains(key);
}

std::string Settings::GetString(std::string_view key, std::string_view default_value) const {
  const json::value* value = Find(impl_ == nullptr ? nullptr : &impl_->object, key);
  if (value == nullptr) return std::string(default_value);
  if (!value->is_string()) WrongType(key, "a string", *value);
  return std::string(value->get_string());
}

bool Settings::GetBool(std::string_view key, bool default_value) const {
  const json::value* value = Find(impl_ == nullptr ? nullptr : &impl_->object, key);
  if (value == nullptr) return default_value;
  if (!value->is_bool()) WrongType(key, "a boolean", *value);
  return value->get_bool();
}

int64_t Settings::GetInt(std::string_view key, int64_t default_value) const {
  const json::value* value = Find(impl_ == nullptr ? nullptr : &impl_->object, key);
  if (value == nullptr) return default_value;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64() && value->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(value->get_uint64());
  }
  WrongType(key, "an integer", *value);
}

std::vector<std::string> Settings::GetStringList(std::string_view key) const {
  std::vector<std::string> out;
  const json::value* value = Find(impl_ == nullptr ? nullptr : &impl_->object, key);
  if (value == nullptr) return out;
  if (!value->is_array()) WrongType(key, "an array of strings", *value);
  const json::array& items = value->get_array();
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      WrongType(std::string(key) + "[" + std::to_string(i) + "]", "a string", items[i]);
    }
    out.emplace_back(items[i].get_string());
  }
  return out;
}

std::map<std::string, std::string> Settings::GetStringMap(std::string_view key) const {
  std::map<std::string, std::string> out;
  const json::value* value = Find(impl_ == nullptr ? nullptr : &impl_->object, key);
  if (value == nullptr) return out;
  if (!value->is_object()) WrongType(key, "an object of strings", *value);
  for (const auto& [name, item] : value->get_object()) {
    if (!item.is_string()) {
      std::string inner(key);
      inner += '.';
      inner += name;
      WrongType(inner, "a string", item);
    }
    out.emplace(std::string(name), std::string(item.get_string()));
  }
  return out;
}

std::vector<std::string> Settings::Keys() const {
  std::vector<std::string> keys;
  if (impl_ == nullptr) return keys;
  for (const auto& entry : impl_->object) keys.emplace_back(entry.key());
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace newshound::sdk

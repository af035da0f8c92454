// newshound plugin SDK: a site's plugin_settings.
//
//   explicit MySite(const newshound::sdk::Context& ctx)
//       : settings_(newshound::sdk::Settings::Parse(ctx.settings_json())),
//         edition_(settings_.GetString("edition", "en")) {}
//
// Getters return the default (or an empty container) for an absent key or
// a JSON null, and throw std::invalid_argument naming the key when the
// value has the wrong type. Thrown from a plugin's constructor, that makes
// the site fail to load with the message, which is what a config mistake
// deserves.
//
// Thread safety: immutable after Parse; copies share the parsed data.
#ifndef NEWSHOUND_PLUGIN_SETTINGS_H_
#define NEWSHOUND_PLUGIN_SETTINGS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace newshound::sdk {

class Settings {
 public:
  // No settings at all.
  Settings();

  // Parses the plugin_settings JSON object text. An empty or all-blank text
  // counts as "{}". Throws std::invalid_argument when the text is not JSON
  // or not an object.
  static Settings Parse(std::string_view json);

  // Whether the key is present (even as null).
  bool Has(std::string_view key) const;

  std::string GetString(std::string_view key, std::string_view default_value = "") const;
  bool GetBool(std::string_view key, bool default_value) const;
  // Integral JSON numbers only; 2.5 is a type error, not 2.
  int64_t GetInt(std::string_view key, int64_t default_value) const;
  // An array of strings.
  std::vector<std::string> GetStringList(std::string_view key) const;
  // An object whose values are strings.
  std::map<std::string, std::string> GetStringMap(std::string_view key) const;

  // The keys present, sorted; lets a plugin reject keys it does not know.
  std::vector<std::string> Keys() const;

 private:
  struct Impl;
  explicit Settings(std::shared_ptr<const Impl> impl);

  std::shared_ptr<const Impl> impl_;
};

}  // namespace newshound::sdk

#endif  // NEWSHOUND_PLUGIN_SETTINGS_H_

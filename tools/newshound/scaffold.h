// The plugin scaffold behind `newshound new-plugin`.
#ifndef NEWSHOUND_TOOLS_NEWSHOUND_SCAFFOLD_H_
#define NEWSHOUND_TOOLS_NEWSHOUND_SCAFFOLD_H_

#include <string>

#include "newshound/status.h"

namespace newshound::cli {

// Writes DIR/NAME/ (CMakeLists.txt, NAME.cpp, README.md, fixtures/ with a
// sample article and listing page and their golden files) for a plugin that
// serves HOST. Never overwrites: an existing DIR/NAME is an error. Returns
// the folder written.
Result<std::string> WritePluginScaffold(const std::string& name, const std::string& host, const std::string& dir);

}  // namespace newshound::cli

#endif  // NEWSHOUND_TOOLS_NEWSHOUND_SCAFFOLD_H_

// Golden files for `newshound extract --expect/--update`: a field-level
// comparison of two JSON documents, and a stable, readable JSON layout for
// files that people review in diffs.
#ifndef NEWSHOUND_TOOLS_NEWSHOUND_GOLDEN_H_
#define NEWSHOUND_TOOLS_NEWSHOUND_GOLDEN_H_

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace newshound::cli {

// One line per difference, each naming the field by its path
// ("article.title", "articles[3]", "links[0].kind"), with both values.
// Empty when the documents are equal.
std::vector<std::string> DiffJson(const boost::json::value& expected, const boost::json::value& actual);

// Indented JSON (two spaces, keys in their order), ending with a newline.
std::string PrettyJson(const boost::json::value& value);

}  // namespace newshound::cli

#endif  // NEWSHOUND_TOOLS_NEWSHOUND_GOLDEN_H_

// A plugin that finds nothing on any page, for the test that
// score-extraction gives it zero.
#include "newshound/plugin/sdk.h"

namespace {

class Nothing {
 public:
  explicit Nothing(const newshound::sdk::Context& /*ctx*/) {}
  void Process(const newshound::sdk::Page& /*page*/, newshound::sdk::Result& out) const {
    out.SetKind(newshound::sdk::PageKind::kOther);
  }
};

}  // namespace

NEWSHOUND_PLUGIN(Nothing, "nothing", "1.0.0", "Finds nothing (score-extraction test)")

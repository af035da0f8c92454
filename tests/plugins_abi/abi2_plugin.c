/* Claims ABI 2.0, which this newshound does not speak. */
#include "newshound/plugin/abi.h"

static const nh_plugin kTable = {sizeof(nh_plugin), 2, 0, "future", "1.0", "from the future", 0, 0, 0, 0};

NH_EXPORT const nh_plugin* newshound_plugin_entry(void) { return &kTable; }

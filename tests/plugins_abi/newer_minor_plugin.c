/* Claims ABI 1.99: same major, newer minor than this newshound. */
#include "newshound/plugin/abi.h"

static const nh_plugin kTable = {sizeof(nh_plugin), 1, 99, "newer", "1.0", "newer minor", 0, 0, 0, 0};

NH_EXPORT const nh_plugin* newshound_plugin_entry(void) { return &kTable; }

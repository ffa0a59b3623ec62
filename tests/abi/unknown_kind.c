/* A kind this host does not know. */
#include "passthrough.h"

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = (ph_plugin_kind)3,
    .name = "unknown_kind",
    PASSTHROUGH_CALLBACKS,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

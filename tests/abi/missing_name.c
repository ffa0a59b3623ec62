/* No name: pipelines could not refer to it. */
#include "passthrough.h"

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    PASSTHROUGH_CALLBACKS,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

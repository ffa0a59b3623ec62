/* Declares config fields but points at none. */
#include "passthrough.h"

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "null_config_fields",
    .config_fields = NULL,
    .config_field_count = 2,
    PASSTHROUGH_CALLBACKS,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

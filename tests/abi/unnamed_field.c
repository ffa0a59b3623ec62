/* The second config field has no name. */
#include "passthrough.h"

static const ph_config_field fields[] = {
    {.name = "label", .type = PH_CONFIG_STRING},
    {.name = NULL, .type = PH_CONFIG_INT},
};

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "unnamed_field",
    .config_fields = fields,
    .config_field_count = sizeof(fields) / sizeof(fields[0]),
    PASSTHROUGH_CALLBACKS,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

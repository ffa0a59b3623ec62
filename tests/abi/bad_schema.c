/* A config field of a type this host does not know. */
#include "passthrough.h"

static const ph_config_field fields[] = {
    {.name = "label", .type = PH_CONFIG_STRING},
    {.name = "mode", .type = (ph_config_type)42},
};

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "bad_schema",
    .config_fields = fields,
    .config_field_count = sizeof(fields) / sizeof(fields[0]),
    PASSTHROUGH_CALLBACKS,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

/* A minimal valid processor with a two-field schema. */
#include "passthrough.h"

static const ph_config_field fields[] = {
    {.name = "label", .type = PH_CONFIG_STRING, .required = 1,
     .description = "names the stage in tests"},
    {.name = "window", .type = PH_CONFIG_DURATION, .default_value = "1m",
     .description = "unused; gives the schema a default"},
};

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "good",
    .version = "1.2.3",
    .description = "passes records through",
    .config_fields = fields,
    .config_field_count = sizeof(fields) / sizeof(fields[0]),
    PASSTHROUGH_CALLBACKS,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

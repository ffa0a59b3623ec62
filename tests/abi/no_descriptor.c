/* Exports a misspelt descriptor function and so no ph_plugin_descriptor. */
#include "passthrough.h"

PH_EXPORT const ph_descriptor *ph_plugin_descriptr(void);

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "no_descriptor",
    PASSTHROUGH_CALLBACKS,
};

const ph_descriptor *ph_plugin_descriptr(void)
{
    return &descriptor;
}

/* Built for ABI 1.7, a minor newer than the host's. */
#include "passthrough.h"

static const ph_descriptor descriptor = {
    .magic = PH_PLUGIN_MAGIC,
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = 7,
    .struct_size = (uint32_t)sizeof(ph_descriptor),
    .kind = PH_KIND_PROCESSOR,
    .name = "newer_minor",
    PASSTHROUGH_CALLBACKS,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

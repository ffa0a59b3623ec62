/* Built for ABI major 2. */
#include "passthrough.h"

static const ph_descriptor descriptor = {
    .magic = PH_PLUGIN_MAGIC,
    .abi_major = 2,
    .abi_minor = 0,
    .struct_size = (uint32_t)sizeof(ph_descriptor),
    .kind = PH_KIND_PROCESSOR,
    .name = "wrong_major",
    PASSTHROUGH_CALLBACKS,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

/* Right layout, wrong magic: not a pipehost descriptor. */
#include "passthrough.h"

static const ph_descriptor descriptor = {
    .magic = 0xdeadbeefu,
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = PH_ABI_MINOR,
    .struct_size = (uint32_t)sizeof(ph_descriptor),
    .kind = PH_KIND_PROCESSOR,
    .name = "wrong_magic",
    PASSTHROUGH_CALLBACKS,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

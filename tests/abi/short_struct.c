/* Claims ABI 1.0 with a descriptor that stops before the callbacks. */
#include <stddef.h>

#include "passthrough.h"

static const ph_descriptor descriptor = {
    .magic = PH_PLUGIN_MAGIC,
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = 0,
    .struct_size = (uint32_t)offsetof(ph_descriptor, init),
    .kind = PH_KIND_PROCESSOR,
    .name = "short_struct",
    PASSTHROUGH_CALLBACKS,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

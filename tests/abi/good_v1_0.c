/* A valid processor that describes itself as ABI 1.0 explicitly, as a
 * plugin built before any later minor would. */
#include <stddef.h>

#include "passthrough.h"

static const ph_descriptor descriptor = {
    .magic = PH_PLUGIN_MAGIC,
    .abi_major = 1,
    .abi_minor = 0,
    /* ABI 1.0's descriptor ends with destroy. */
    .struct_size = (uint32_t)(offsetof(ph_descriptor, destroy) +
                            sizeof(((ph_descriptor *)0)->destroy)),
    .kind = PH_KIND_PROCESSOR,
    .name = "good_v1_0",
    .version = "1.0.0",
    .description = "passes records through, built for ABI 1.0",
    PASSTHROUGH_CALLBACKS,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

/* A processor without a process callback. */
#include "passthrough.h"

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "missing_process",
    .init = passthrough_init,
    .flush = passthrough_flush,
    .destroy = passthrough_destroy,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

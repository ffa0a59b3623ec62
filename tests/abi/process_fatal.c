/* Valid, but every batch fails for good. */
#include "passthrough.h"

static ph_status process_fatal_process(void *instance, const ph_record *records, size_t count)
{
    return PH_FATAL;
}

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "process_fatal",
    .version = "0.0.1",
    .description = "process always fails",
    .init = passthrough_init,
    .process = process_fatal_process,
    .flush = passthrough_flush,
    .destroy = passthrough_destroy,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

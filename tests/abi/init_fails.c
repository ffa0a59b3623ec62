/* Valid, but init refuses to start. */
#include <stdio.h>

#include "passthrough.h"

static int init_fails_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                           void **instance, char *err, size_t err_size)
{
    *instance = NULL;
    snprintf(err, err_size, "init_fails: refusing to start");
    return 1;
}

static const ph_descriptor descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "init_fails",
    .version = "0.0.1",
    .description = "init always fails",
    .init = init_fails_init,
    .process = passthrough_process,
    .flush = passthrough_flush,
    .destroy = passthrough_destroy,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &descriptor;
}

/*
 * The callbacks most ABI fixtures share: a processor that passes every
 * record on unchanged. A fixture is then just the descriptor that is
 * wrong in its own way.
 */
#ifndef PIPEHOST_TESTS_ABI_PASSTHROUGH_H
#define PIPEHOST_TESTS_ABI_PASSTHROUGH_H

#include "pipehost/plugin.h"

int passthrough_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                     void **instance, char *err, size_t err_size);
ph_status passthrough_process(void *instance, const ph_record *records, size_t count);
ph_status passthrough_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset);
void passthrough_destroy(void *instance);

#define PASSTHROUGH_CALLBACKS                                                  \
    .init = passthrough_init, .process = passthrough_process,                  \
    .flush = passthrough_flush, .destroy = passthrough_destroy

#endif

#include "passthrough.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct passthrough {
    const ph_host_api *host;
    ph_context *ctx;
} passthrough;

int passthrough_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                     void **instance, char *err, size_t err_size)
{
    passthrough *self = calloc(1, sizeof(*self));

    if (self == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    self->host = host;
    self->ctx = ctx;
    *instance = self;
    return 0;
}

ph_status passthrough_process(void *instance, const ph_record *records, size_t count)
{
    passthrough *self = instance;

    for (size_t i = 0; i < count; i++) {
        const ph_record *record = &records[i];

        if (self->host->emit(self->ctx, record, record->key, record->key_len, record->value,
                             record->value_len) != 0)
            return PH_FATAL;
    }
    return PH_OK;
}

ph_status passthrough_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    *retain_offset = PH_OFFSET_NONE;
    return PH_OK;
}

void passthrough_destroy(void *instance)
{
    free(instance);
}

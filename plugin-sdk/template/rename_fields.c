/*
 * rename_fields: a pipehost processor that renames top-level fields of
 * each record's JSON object, keeping the record's key, the other fields
 * and the field order.
 *
 *   processors:
 *     - plugin: rename_fields
 *       config:
 *         renames: {user_id: user, ts: time}   # old name: new name
 *         require: true                        # reject a record missing any of them
 *
 * A renamed field replaces a field that already had its new name. Records
 * whose value is not a JSON object are rejected, with the reason, to the
 * pipeline's dead letter.
 *
 * This file is the SDK's plugin template: copy the folder, rename the
 * plugin, and keep its shape (config checked once in init, one pass per
 * record in process, nothing held between batches).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipehost/plugin.h>

typedef struct rename_fields {
    const ph_host_api *host;
    ph_context *ctx;
    json_t *new_name_of; /* old name -> new name (JSON strings) */
    json_t *old_name_of; /* new name -> old name: who replaces an existing field */
    int require;
} rename_fields;

static void rename_fields_destroy(void *instance)
{
    rename_fields *self = instance;

    if (self == NULL)
        return;
    json_decref(self->new_name_of);
    json_decref(self->old_name_of);
    free(self);
}

/* Check the renames once: every new name a non-empty string, no two fields
 * renamed to the same name. */
static int rename_fields_read_renames(rename_fields *self, const json_t *renames, char *err,
                                      size_t err_size)
{
    const char *old_name;
    json_t *new_name;

    if (json_object_size(renames) == 0) {
        snprintf(err, err_size, "renames: name at least one field to rename");
        return -1;
    }
    self->new_name_of = json_object();
    self->old_name_of = json_object();
    if (self->new_name_of == NULL || self->old_name_of == NULL)
        goto out_of_memory;
    json_object_foreach((json_t *)renames, old_name, new_name) {
        const char *text = json_string_value(new_name);
        json_t *earlier = json_object_get(self->old_name_of, text != NULL ? text : "");

        if (text == NULL || text[0] == '\0') {
            snprintf(err, err_size, "renames: '%s' must map to a new field name", old_name);
            return -1;
        }
        if (earlier != NULL) {
            snprintf(err, err_size, "renames: '%s' and '%s' would both become '%s'",
                     json_string_value(earlier), old_name, text);
            return -1;
        }
        if (json_object_set_new(self->new_name_of, old_name, json_string(text)) != 0 ||
            json_object_set_new(self->old_name_of, text, json_string(old_name)) != 0)
            goto out_of_memory;
    }
    return 0;

out_of_memory:
    snprintf(err, err_size, "out of memory");
    return -1;
}

static int rename_fields_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                              void **instance, char *err, size_t err_size)
{
    rename_fields *self = calloc(1, sizeof(*self));

    *instance = self;
    if (self == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    self->host = host;
    self->ctx = ctx;
    self->require = json_is_true(json_object_get(config, "require"));
    return rename_fields_read_renames(self, json_object_get(config, "renames"), err, err_size);
}

/* The name of a renamed field absent from object, or NULL. */
static const char *rename_fields_missing(const rename_fields *self, const json_t *object)
{
    const char *old_name;
    json_t *new_name;

    json_object_foreach(self->new_name_of, old_name, new_name) {
        if (json_object_get(object, old_name) == NULL)
            return old_name;
    }
    return NULL;
}

/* object with the fields renamed, in their order; NULL out of memory.
 * *renamed counts the fields renamed. */
static json_t *rename_fields_apply(const rename_fields *self, json_t *object, int64_t *renamed)
{
    json_t *result = json_object();
    const char *name;
    json_t *field;

    if (result == NULL)
        return NULL;
    json_object_foreach(object, name, field) {
        json_t *new_name = json_object_get(self->new_name_of, name);
        json_t *replaced_by = json_object_get(self->old_name_of, name);
        int rc;

        if (new_name != NULL) {
            rc = json_object_set(result, json_string_value(new_name), field);
            (*renamed)++;
        } else if (replaced_by != NULL &&
                   json_object_get(object, json_string_value(replaced_by)) != NULL) {
            continue; /* a renamed field takes this name */
        } else {
            rc = json_object_set(result, name, field);
        }
        if (rc != 0) {
            json_decref(result);
            return NULL;
        }
    }
    return result;
}

static ph_status rename_fields_process(void *instance, const ph_record *records, size_t count)
{
    rename_fields *self = instance;
    const ph_host_api *host = self->host;
    int64_t renamed = 0;
    ph_status status = PH_OK;

    for (size_t i = 0; i < count && status == PH_OK; i++) {
        const ph_record *record = &records[i];
        const char *error = NULL;
        json_t *value = host->record_json(self->ctx, record, &error);
        const char *missing;

        if (value == NULL) {
            host->reject(self->ctx, record, "value is not JSON: %s",
                         error != NULL ? error : "no value");
            continue;
        }
        if (!json_is_object(value)) {
            host->reject(self->ctx, record, "value is not a JSON object");
            continue;
        }
        if (self->require && (missing = rename_fields_missing(self, value)) != NULL) {
            host->reject(self->ctx, record, "missing field '%s'", missing);
            continue;
        }
        json_t *result = rename_fields_apply(self, value, &renamed);
        char *text = result != NULL ? json_dumps(result, JSON_COMPACT) : NULL;
        /* emit (not emit_json) keeps the record's key byte for byte. */
        if (text == NULL ||
            host->emit(self->ctx, record, record->key, record->key_len, text, strlen(text)) != 0) {
            host->log(self->ctx, PH_LOG_ERROR, "out of memory renaming a record");
            status = PH_FATAL;
        }
        free(text);
        json_decref(result);
    }
    if (renamed > 0)
        host->count(self->ctx, "renamed", renamed);
    return status;
}

static ph_status rename_fields_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    (void)instance;
    (void)mode;
    /* Each record is done when process returns: nothing is held. */
    *retain_offset = PH_OFFSET_NONE;
    return PH_OK;
}

static const ph_config_field rename_fields_config[] = {
    {.name = "renames", .type = PH_CONFIG_MAP, .required = 1,
     .description = "old field name: new field name, for top-level fields"},
    {.name = "require", .type = PH_CONFIG_BOOL, .default_value = "false",
     .description = "reject a record that lacks any of the fields to rename"},
};

static const ph_descriptor rename_fields_descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "rename_fields",
    .version = "1.0.0",
    .description = "rename top-level fields of JSON records",
    .config_fields = rename_fields_config,
    .config_field_count = sizeof(rename_fields_config) / sizeof(rename_fields_config[0]),
    .init = rename_fields_init,
    .process = rename_fields_process,
    .flush = rename_fields_flush,
    .destroy = rename_fields_destroy,
};

PH_EXPORT const ph_descriptor *ph_plugin_descriptor(void)
{
    return &rename_fields_descriptor;
}

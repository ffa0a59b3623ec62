/*
 * pipehost plugin ABI.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * ph_plugin_descriptor(), returning a constant descriptor. The descriptor
 * starts with a magic number, the ABI version it was built against and its
 * own size, so the host can refuse a plugin it does not understand before
 * calling into it.
 *
 * The host reaches the plugin through the descriptor's callbacks; the
 * plugin reaches the host only through the ph_host_api table handed to
 * init. A plugin links against nothing of the host (build it with
 * -Wl,-z,defs and hidden visibility), keeps no globals, and never parses
 * YAML: it declares its configuration schema and receives a validated
 * JSON object.
 *
 * Compatibility rules:
 *   - PH_ABI_MAJOR changes when an existing field changes meaning or
 *     position. The host refuses any other major.
 *   - PH_ABI_MINOR grows when fields are appended. The host refuses a
 *     plugin built against a newer minor than its own, and accepts older
 *     minors (their descriptors are shorter; struct_size tells).
 *   - ph_host_api is append-only and starts with its own size: a plugin
 *     must check host->struct_size before using a member added after the
 *     minor it was built for (PH_HOST_HAS(host, member)).
 */
#ifndef PIPEHOST_PLUGIN_H
#define PIPEHOST_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PH_PLUGIN_MAGIC 0x50485047u /* "PHPG" */
#define PH_ABI_MAJOR 1
#define PH_ABI_MINOR 1

#if defined(__GNUC__)
#define PH_EXPORT __attribute__((visibility("default")))
#define PH_PRINTF(fmt_index, first_arg) \
    __attribute__((format(printf, fmt_index, first_arg)))
#else
#define PH_EXPORT
#define PH_PRINTF(fmt_index, first_arg)
#endif

/* Result of process and flush. */
typedef enum ph_status {
    PH_OK = 0,
    PH_RETRY = 1,  /* transient failure: the host redelivers the batch */
    PH_REJECT = 2, /* returned by the host's reject(); never from process */
    PH_FATAL = 3   /* unrecoverable: the host stops the pipeline */
} ph_status;

typedef enum ph_plugin_kind {
    PH_KIND_PROCESSOR = 1, /* transforms records, emits to the next stage */
    PH_KIND_SINK = 2       /* writes records somewhere durable */
} ph_plugin_kind;

/* Why flush is called. */
typedef enum ph_flush_mode {
    /* Periodic commit point. Emit what is complete; keep open state and
     * report the oldest source offset it still needs. */
    PH_FLUSH_CHECKPOINT = 0,
    /* The task is about to go away (end of input, revoke, shutdown). Emit
     * open state as provisional results, and still report the retain
     * offset so that a restart rebuilds that state by replay. */
    PH_FLUSH_FINAL = 1
} ph_flush_mode;

/* No offset retained: returned through flush's retain_offset. */
#define PH_OFFSET_NONE INT64_C(-1)

typedef enum ph_log_level {
    PH_LOG_ERROR = 0,
    PH_LOG_WARN = 1,
    PH_LOG_INFO = 2,
    PH_LOG_DEBUG = 3
} ph_log_level;

/* ---- configuration schema ------------------------------------------- */

typedef enum ph_config_type {
    PH_CONFIG_STRING = 1,      /* JSON string */
    PH_CONFIG_INT = 2,         /* JSON integer */
    PH_CONFIG_FLOAT = 3,       /* JSON real (integers are widened) */
    PH_CONFIG_BOOL = 4,        /* JSON true/false */
    PH_CONFIG_DURATION = 5,    /* "500ms", "10s", "1m", "2h", "1d": JSON integer ms */
    PH_CONFIG_STRING_LIST = 6, /* JSON array of strings */
    PH_CONFIG_LIST = 7,        /* JSON array of anything */
    PH_CONFIG_MAP = 8          /* JSON object of anything */
} ph_config_type;

typedef struct ph_config_field {
    const char *name;
    ph_config_type type;
    /* Default as YAML text ("1m", "[a, b]", "{}"); NULL for none. */
    const char *default_value;
    int required; /* nonzero: the pipeline file must set it */
    const char *description;
} ph_config_field;

/* ---- records ---------------------------------------------------------- */

typedef struct ph_header {
    const char *name;
    const void *value; /* may be NULL */
    size_t value_len;
} ph_header;

/*
 * A record handed to process(). Everything it points to is borrowed: valid
 * only during the call. The source position (topic, partition, offset)
 * names the Kafka record whose processing produced this one.
 */
typedef struct ph_record {
    const void *key; /* NULL: no key */
    size_t key_len;
    const void *value; /* NULL: no value (a tombstone) */
    size_t value_len;
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* Kafka timestamp, -1 if none */
    const ph_header *headers;
    size_t header_count;
    void *host_private; /* the host's bookkeeping; do not touch */
} ph_record;

/* The JSON type of a field read with record_fields (ABI 1.1). */
typedef enum ph_json_type {
    PH_JSON_ABSENT = 0, /* the object has no member of that name */
    PH_JSON_NULL = 1,
    PH_JSON_FALSE = 2,
    PH_JSON_TRUE = 3,
    PH_JSON_INTEGER = 4,
    PH_JSON_REAL = 5,
    PH_JSON_STRING = 6,
    PH_JSON_OBJECT = 7,
    PH_JSON_ARRAY = 8
} ph_json_type;

/*
 * One top-level member of a record's JSON object, read in place. Borrowed:
 * valid during the plugin call that read it.
 */
typedef struct ph_field {
    ph_json_type type;
    /* STRING: the value, unescaped (not NUL-terminated; a NUL byte occurs
     * only where the JSON text escaped one). NULL for the other types: a
     * stage that needs nested values reads the document (record_json). */
    const char *text;
    size_t length;
    int64_t integer; /* INTEGER */
    double number;   /* INTEGER and REAL: the value as a double */
} ph_field;

/* The host's per-instance handle; passed back to every host call. */
typedef struct ph_context ph_context;

/* ---- host services ------------------------------------------------------ */

typedef struct ph_host_api {
    size_t struct_size; /* sizeof(ph_host_api) of the running host */
    uint32_t abi_major;
    uint32_t abi_minor;

    void (*log)(ph_context *ctx, ph_log_level level, const char *fmt, ...)
        PH_PRINTF(3, 4);

    /*
     * Emit a record to the next stage (or the sinks after the last stage).
     * The host copies key and value. origin is the input that caused the
     * record and gives it its source position; NULL means the last record
     * of the batch being processed (in flush: the last one processed).
     * Returns 0, or -1 if the host could not take it (out of memory).
     */
    int (*emit)(ph_context *ctx, const ph_record *origin, const void *key,
                size_t key_len, const void *value, size_t value_len);

    /*
     * Emit a JSON value as compact JSON text. The host takes its own
     * reference; the caller keeps theirs. A following stage that asks for
     * the record's JSON gets this value without a parse.
     */
    int (*emit_json)(ph_context *ctx, const ph_record *origin,
                     const char *key, json_t *value);

    /*
     * Reject one record: the host counts it and, by the pipeline's
     * on_error, sends its bytes to the dead-letter topic with the reason,
     * or skips it, or stops. Returns PH_REJECT for convenience.
     */
    ph_status (*reject)(ph_context *ctx, const ph_record *record,
                        const char *reason_fmt, ...) PH_PRINTF(3, 4);

    /*
     * The record's value parsed as JSON, parsed once and shared by every
     * stage that asks. Borrowed: do not decref, valid during the call.
     * NULL when the value is not JSON; *error (if not NULL) then points to
     * a description valid during the call.
     */
    json_t *(*record_json)(ph_context *ctx, const ph_record *record,
                           const char **error);

    /* Add delta to a named counter of this stage (reported by the host). */
    void (*count)(ph_context *ctx, const char *counter, int64_t delta);

    /*
     * Event time: an ISO-8601 string (no zone means UTC; "Z" and +hh:mm
     * offsets accepted, fractional seconds to the millisecond) or a JSON
     * number of epoch milliseconds. Returns 0 and sets *epoch_ms, or -1.
     */
    int (*parse_time)(const json_t *value, int64_t *epoch_ms);

    /* Format epoch milliseconds as ISO-8601 UTC with "Z"
     * ("2022-01-01T12:22:25Z", or with ".123" when there are
     * milliseconds). Returns the length written, excluding NUL. */
    size_t (*format_time)(int64_t epoch_ms, char *buf, size_t buf_size);

    /* "500ms", "10s", "1m", "2h", "1d", or bare milliseconds. 0 or -1. */
    int (*parse_duration)(const char *text, int64_t *ms);

    /*
     * Checkpoint text, set during flush: what the instance needs to resume
     * beyond what replay from its retain offset rebuilds, such as its
     * watermark and the offset after the last record it processed. The
     * host commits it with the partition's offset (the two always belong
     * together) and hands it to the next instance of this stage for this
     * partition, after a restart or a rebalance, through checkpoint().
     * At most PH_CHECKPOINT_MAX bytes of text. Returns 0, or -1 if too long.
     *
     * Why: replay from the retain offset rebuilds the state that was still
     * open, but it also sees the tail of results already emitted as final
     * (a window's late records, a conversation's last messages). Knowing
     * its checkpointed watermark and where processing had reached, an
     * instance recognises those records as already counted and does not
     * emit a partial result over the complete one.
     */
    int (*set_checkpoint)(ph_context *ctx, const char *text);

    /* The checkpoint text committed by this stage's previous instance for
     * this partition, or NULL. Valid during init. */
    const char *(*checkpoint)(ph_context *ctx);

    /* ---- ABI 1.1 ---- */

    /*
     * Read count top-level members of the record's JSON object by name,
     * without building a document: fields[i] receives names[i]'s member,
     * or type PH_JSON_ABSENT (when a name occurs twice, the last one
     * counts, as with record_json). The whole value is still validated as
     * JSON. Returns 0; or -1 when the value is not a JSON object, with
     * *error (if not NULL) saying why ("value is not JSON: ..." or "value
     * is not a JSON object"), valid during the call. Several times faster
     * than record_json for stages that read a few fields of each record.
     */
    int (*record_fields)(ph_context *ctx, const ph_record *record, const char *const names[],
                         size_t count, ph_field fields[], const char **error);

    /* parse_time for a field read by record_fields. 0 or -1. */
    int (*field_time)(const ph_field *field, int64_t *epoch_ms);
} ph_host_api;

/* The longest checkpoint text a stage may set. */
#define PH_CHECKPOINT_MAX 512

/* Whether the running host provides member (an append-only table). */
#define PH_HOST_HAS(host, member)                                  \
    ((host)->struct_size >= offsetof(ph_host_api, member) +        \
                                sizeof(((ph_host_api *)0)->member))

/* ---- the descriptor ------------------------------------------------------ */

typedef struct ph_descriptor {
    uint32_t magic;       /* PH_PLUGIN_MAGIC */
    uint16_t abi_major;   /* PH_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;   /* PH_ABI_MINOR the plugin was built against */
    uint32_t struct_size; /* sizeof(ph_descriptor) the plugin was built with */
    ph_plugin_kind kind;

    const char *name;        /* the name pipelines use; matches the file */
    const char *version;     /* the plugin's own version */
    const char *description; /* one line */

    const ph_config_field *config_fields;
    size_t config_field_count;

    /*
     * Create an instance for one partition task. config is a JSON object
     * holding exactly the declared fields (defaults filled in, durations in
     * milliseconds), already validated against the schema. ctx and host
     * stay valid for the instance's whole life. On failure write a
     * message into err and return nonzero; the host then calls destroy on
     * whatever *instance holds (possibly NULL).
     */
    int (*init)(const ph_host_api *host, ph_context *ctx, const json_t *config,
                void **instance, char *err, size_t err_size);

    /*
     * Process a batch of records, in partition order. Results go out
     * through host->emit / host->emit_json, rejections through
     * host->reject. Return PH_OK, PH_RETRY or PH_FATAL. After PH_RETRY the
     * host discards what the call emitted and rejected and calls again
     * with the same batch after a backoff: apply nothing before deciding
     * to retry. After PH_FATAL the pipeline stops; nothing of the batch is
     * committed.
     */
    ph_status (*process)(void *instance, const ph_record *records, size_t count);

    /*
     * Emit pending output as the mode asks, then set *retain_offset to the
     * oldest source offset whose effect is held in state not yet emitted
     * as final, or PH_OFFSET_NONE. A sink makes everything it was given
     * durable before returning PH_OK.
     */
    ph_status (*flush)(void *instance, ph_flush_mode mode, int64_t *retain_offset);

    /* Free the instance. Must cope with NULL and a half-built instance. */
    void (*destroy)(void *instance);
} ph_descriptor;

/* The one symbol a plugin exports. */
#define PH_DESCRIPTOR_SYMBOL "ph_plugin_descriptor"
PH_EXPORT const ph_descriptor *ph_plugin_descriptor(void);

/* Initialiser for a descriptor's header fields. */
#define PH_DESCRIPTOR_HEADER                                                    \
    .magic = PH_PLUGIN_MAGIC, .abi_major = PH_ABI_MAJOR,                       \
    .abi_minor = PH_ABI_MINOR, .struct_size = (uint32_t)sizeof(ph_descriptor)

#ifdef __cplusplus
}
#endif

#endif /* PIPEHOST_PLUGIN_H */

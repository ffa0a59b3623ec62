#include "produce/produce.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "produce/event_generator.h"
#include "produce/line_key.h"
#include "produce/produce_progress.h"
#include "produce/rate_limiter.h"
#include "produce/record_producer.h"

/* Records wait at most message.timeout.ms (a minute) for delivery; give
 * the final flush that and as long again for the reports to arrive. */
#define FINISH_TIMEOUT_MS 120000

struct produce_session {
    const struct produce_options *options;
    struct record_producer *producer;
    struct rate_limiter limiter;
    struct produce_progress progress;
    uint64_t sent;
    uint64_t bad;
};

static int send_record(struct produce_session *session, const void *key, size_t key_len,
                       const void *value, size_t value_len)
{
    char err[512];

    rate_limiter_acquire(&session->limiter);
    if (record_producer_send(session->producer, key, key_len, value, value_len, err,
                             sizeof(err)) != 0) {
        produce_progress_clear(&session->progress);
        fprintf(stderr, "pipehost produce: record %" PRIu64 " refused: %s\n",
                session->sent + 1, err);
        return -1;
    }
    session->sent++;
    produce_progress_update(&session->progress, session->sent);
    return 0;
}

static int produce_events(struct produce_session *session)
{
    const struct produce_options *options = session->options;
    struct event_generator_options generator_options = {
        .profile = options->profile,
        .seed = options->seed,
        .bad_ratio = options->bad_ratio,
        .start_ms = options->start_ms,
    };
    struct event_generator *generator = event_generator_new(&generator_options);
    int rc = 0;

    if (generator == NULL) {
        fprintf(stderr, "pipehost produce: cannot start the %s generator: out of memory\n",
                options->profile);
        return -1;
    }
    for (uint64_t i = 0; i < options->count && rc == 0; i++) {
        struct generated_record record;

        if (event_generator_next(generator, &record) != 0) {
            produce_progress_clear(&session->progress);
            fprintf(stderr, "pipehost produce: record %" PRIu64 " does not fit its buffer\n",
                    i + 1);
            rc = -1;
            break;
        }
        session->bad += record.malformed != MALFORMED_NONE;
        rc = send_record(session, record.key, record.key_len, record.value, record.value_len);
    }
    event_generator_free(generator);
    return rc;
}

static int produce_lines(struct produce_session *session)
{
    const struct produce_options *options = session->options;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    int rc = 0;

    while (rc == 0 && (len = getline(&line, &line_cap, options->lines)) >= 0) {
        struct line_key key = { 0 };

        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (options->key_field != NULL)
            line_key_find(&key, line, (size_t)len, options->key_field);
        rc = send_record(session, key.bytes, key.len, line, (size_t)len);
        line_key_release(&key);
    }
    if (rc == 0 && ferror(options->lines)) {
        produce_progress_clear(&session->progress);
        fprintf(stderr, "pipehost produce: %s: read error\n", options->lines_name);
        rc = -1;
    }
    free(line);
    return rc;
}

/* --partitions: make sure the topic exists, creating it if need be. */
static int prepare_topic(struct produce_session *session)
{
    const struct produce_options *options = session->options;
    int existing = 0;
    char err[512] = "";

    switch (record_producer_ensure_topic(session->producer, options->partitions, &existing, err,
                                         sizeof(err))) {
    case TOPIC_EXISTS:
        if (existing != options->partitions)
            fprintf(stderr, "pipehost produce: topic %s exists with %d partitions, not %d; "
                            "producing to it as it is\n",
                    options->topic, existing, options->partitions);
        return 0;
    case TOPIC_CREATED:
        fprintf(stderr, "pipehost produce: created topic %s with %d partitions\n",
                options->topic, options->partitions);
        return 0;
    case TOPIC_NOT_CREATABLE:
        fprintf(stderr, "pipehost produce: the broker cannot create topics (%s); the topic "
                        "gets the partitions of the broker's auto-creation (create it with "
                        "'pipehost broker --topic %s:%d')\n",
                err, options->topic, options->partitions);
        return 0;
    case TOPIC_CHECK_FAILED:
        break;
    }
    fprintf(stderr, "pipehost produce: cannot create topic %s: %s\n", options->topic, err);
    return -1;
}

int produce_run(const struct produce_options *options)
{
    struct produce_session session = { .options = options };
    char err[512];
    bool delivery_failed;
    int rc;

    session.producer = record_producer_new(options->brokers, options->topic, err, sizeof(err));
    if (session.producer == NULL) {
        fprintf(stderr, "pipehost produce: %s\n", err);
        return 1;
    }
    if (options->partitions > 0 && prepare_topic(&session) != 0) {
        record_producer_free(session.producer);
        return 1;
    }
    rate_limiter_init(&session.limiter, options->rate);
    produce_progress_start(&session.progress, stderr,
                           options->profile != NULL ? options->count : 0);

    rc = options->profile != NULL ? produce_events(&session) : produce_lines(&session);
    /* Wait for the records already queued even after a failure, so the
     * summary says what reached the broker. */
    delivery_failed = record_producer_finish(session.producer, FINISH_TIMEOUT_MS) != 0;
    produce_progress_finish(&session.progress, record_producer_delivered(session.producer),
                            session.bad, options->topic);
    if (delivery_failed) {
        fprintf(stderr, "pipehost produce: %" PRIu64 " of %" PRIu64
                        " records were not delivered (first error: %s)\n",
                record_producer_failed(session.producer), session.sent,
                record_producer_first_error(session.producer));
        rc = -1;
    }
    record_producer_free(session.producer);
    return rc == 0 ? 0 : 1;
}

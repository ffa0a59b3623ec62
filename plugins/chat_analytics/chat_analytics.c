/*
 * chat_analytics: customer-support conversations, summarised once each.
 *
 * Messages and close events of a partition are grouped by conversation_id.
 * A conversation ends at its close event, or when the partition's
 * watermark (the latest event time seen less allowed_lateness) reaches
 * its last message plus session_gap; it is then emitted as final, keyed
 * by its id.
 *
 * An ended conversation is remembered (its id and end time E) so that a
 * record arriving for it afterwards can be told apart from the start of a
 * new conversation with the same id. The rule, the same for every record
 * of a conversation that is not open:
 *   - late when its event time t is before E + session_gap (it belongs to
 *     the session that ended), or when t + session_gap <= watermark (a
 *     conversation starting at t would already have ended);
 *   - otherwise a message starts a new conversation under that id.
 * An id is held from the message that opens a conversation under it
 * until, with no conversation open, the watermark reaches H + 2 *
 * session_gap, where H is the latest event time of any valid record for
 * the id since it became held (late ones included); a conversation that
 * starts meanwhile under the id keeps it held. As E <= H, every t before
 * E + session_gap then satisfies the second clause: letting the id go
 * changes no decision.
 *
 * Restart. A flush reports as retain offset the first record of the oldest
 * held id, and sets as checkpoint the partition's latest event time before
 * that record (or the latest one, when no id is held). After a restart
 * the host replays from its commit point C, no later than that record,
 * and suppresses all the replay causes; the instance starts from the
 * restored latest time. Then:
 *   - an id held at the commit has been held since a record at or after
 *     C. The replay gives it all its records since, from the same state
 *     (not held) and, from the retain offset on, under the same watermark:
 *     it is rebuilt exactly, and goes on as if there had been no restart;
 *   - every other id with records after C was held before C and let go
 *     before the commit, at a watermark of at least H + 2 * session_gap.
 *     What the replay builds from its records (all at or before H) is
 *     ended, emitted and let go by then, all inside the replay: nothing
 *     partial comes out, and nothing of it is left at the commit.
 * Before the retain offset (when another stage retains more) the restored
 * watermark can be ahead of the first run's: it only ends and rejects
 * such let-go ids' state sooner.
 *
 * Open conversations and ended ones share one hash table by id and one
 * heap by deadline (expiry for the open, letting go for the ended).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipehost/plugin.h>

#include "chat_record.h"
#include "checkpoint_text.h"
#include "conversation.h"
#include "conversation_report.h"
#include "conversation_table.h"
#include "deadline_heap.h"
#include "fnv_hash.h"
#include "latest_time.h"
#include "lexicon.h"
#include "word_scan.h"

/* Durations beyond a year are a configuration mistake; the bound also
 * keeps every time + 2 * gap far inside int64. */
#define MAX_DURATION_MS (INT64_C(365) * 24 * 60 * 60 * 1000)

typedef struct chat_analytics {
    const ph_host_api *host;
    ph_context *ctx;
    int64_t session_gap_ms;
    int64_t allowed_lateness_ms;
    lexicon lexicon;
    conversation_table conversations;
    deadline_heap deadlines;
    latest_time latest; /* raised by every valid record */
} chat_analytics;

static int64_t watermark(const chat_analytics *self)
{
    return self->latest.known ? self->latest.ms - self->allowed_lateness_ms : INT64_MIN;
}

/* When an ended id is let go (see the top of the file). */
static int64_t release_deadline(const chat_analytics *self, const conversation *conv)
{
    return conv->last_record_ms + 2 * self->session_gap_ms;
}

/* Emit a conversation's report keyed by its id. origin: the record that
 * caused it, or NULL in flush. */
static ph_status emit_report(chat_analytics *self, const ph_record *origin,
                             const conversation *conv, int64_t end_ms, int final)
{
    json_t *report = conversation_report(conv, &self->lexicon, self->host, end_ms, final);
    int result;

    if (report == NULL) {
        self->host->log(self->ctx, PH_LOG_ERROR, "out of memory building a conversation report");
        return PH_FATAL;
    }
    result = self->host->emit_json(self->ctx, origin, conv->id, report);
    json_decref(report);
    if (result != 0) {
        self->host->log(self->ctx, PH_LOG_ERROR, "the host could not take a record (out of memory)");
        return PH_FATAL;
    }
    return PH_OK;
}

/* Emit an open conversation as final and keep only what the late rule and
 * a restart need. */
static ph_status end_conversation(chat_analytics *self, const ph_record *origin,
                                  conversation *conv, int64_t end_ms)
{
    ph_status status = emit_report(self, origin, conv, end_ms, 1);

    if (status != PH_OK)
        return status;
    conversation_end(conv, end_ms);
    conv->deadline = release_deadline(self, conv);
    deadline_heap_update(&self->deadlines, conv);
    return PH_OK;
}

/* Every valid record for a held id keeps it held longer. */
static void note_record_time(chat_analytics *self, conversation *conv, int64_t ts_ms)
{
    if (ts_ms <= conv->last_record_ms)
        return;
    conv->last_record_ms = ts_ms;
    if (conv->ended) {
        conv->deadline = release_deadline(self, conv);
        deadline_heap_update(&self->deadlines, conv);
    }
}

/* The watermark moved: end the conversations it passed, in deadline order
 * (then by id), and let go the ended ids it passed. */
static ph_status expire(chat_analytics *self, const ph_record *origin)
{
    int64_t now = watermark(self);
    conversation *first;

    while ((first = deadline_heap_first(&self->deadlines)) != NULL && first->deadline <= now) {
        if (!first->ended) {
            ph_status status = end_conversation(self, origin, first,
                                                conversation_last_message_ms(first));

            if (status != PH_OK)
                return status;
            continue;
        }
        deadline_heap_remove(&self->deadlines, first);
        conversation_table_remove(&self->conversations, first);
        conversation_free(first);
    }
    return PH_OK;
}

/* Fold the message's words into the conversation's sentiment and topics. */
static void scan_text(const chat_analytics *self, conversation *conv,
                      const chat_record *in)
{
    char word[WORD_MAX_BYTES];
    word_scanner scanner;
    size_t length;

    word_scanner_init(&scanner, in->text, in->text_len);
    while ((length = word_scanner_next(&scanner, word)) > 0) {
        const lexicon_word *found = lexicon_find(&self->lexicon, word, length);

        if (found == NULL)
            continue;
        conv->topics |= found->topics;
        if (in->sender != SENDER_CUSTOMER)
            continue;
        if (found->polarity == POLARITY_POSITIVE)
            conv->positive_words++;
        else if (found->polarity == POLARITY_NEGATIVE)
            conv->negative_words++;
    }
}

static int add_message(chat_analytics *self, conversation *conv, const chat_record *in)
{
    int64_t deadline;

    if (conversation_add_message(conv, in->ts_ms, in->sender) != 0)
        return -1;
    if (in->sender == SENDER_AGENT &&
        conversation_add_agent(conv, in->agent_id, in->agent_id_len) != 0)
        return -1;
    scan_text(self, conv, in);
    /* A message older than the last one leaves the deadline as it is. */
    deadline = conversation_last_message_ms(conv) + self->session_gap_ms;
    if (deadline != conv->deadline) {
        conv->deadline = deadline;
        deadline_heap_update(&self->deadlines, conv);
    }
    return 0;
}

/* A new open conversation in the table and the heap, held from record, or
 * NULL. latest_before: the partition's latest event time before record. */
static conversation *open_conversation(chat_analytics *self, const ph_record *record,
                                       const chat_record *in, uint64_t hash,
                                       const latest_time *latest_before)
{
    conversation *created = conversation_create(in->conversation_id, in->conversation_id_len,
                                                hash);

    if (created == NULL)
        return NULL;
    created->held_from_offset = record->offset;
    created->latest_before = *latest_before;
    created->last_record_ms = in->ts_ms;
    created->deadline = in->ts_ms + self->session_gap_ms;
    if (conversation_table_insert(&self->conversations, created) != 0) {
        conversation_free(created);
        return NULL;
    }
    if (deadline_heap_push(&self->deadlines, created) != 0) {
        conversation_table_remove(&self->conversations, created);
        conversation_free(created);
        return NULL;
    }
    return created;
}

static bool is_late(const chat_analytics *self, const conversation *ended, int64_t ts_ms)
{
    return (ended != NULL && ts_ms < ended->end_ms + self->session_gap_ms) ||
           ts_ms + self->session_gap_ms <= watermark(self);
}

static ph_status out_of_memory(chat_analytics *self)
{
    self->host->log(self->ctx, PH_LOG_ERROR, "out of memory holding a conversation");
    return PH_FATAL;
}

/* Apply one valid record to its conversation. latest_before: the
 * partition's latest event time before record. */
static ph_status apply(chat_analytics *self, const ph_record *record, const chat_record *in,
                       const latest_time *latest_before)
{
    uint64_t hash = fnv_hash(in->conversation_id, in->conversation_id_len);
    conversation *found = conversation_table_find(&self->conversations, in->conversation_id,
                                                  in->conversation_id_len, hash);

    if (found != NULL)
        note_record_time(self, found, in->ts_ms);
    if (found != NULL && !found->ended) {
        if (in->is_close)
            return end_conversation(self, record, found, in->ts_ms);
        return add_message(self, found, in) == 0 ? PH_OK : out_of_memory(self);
    }

    if (is_late(self, found, in->ts_ms)) {
        self->host->reject(self->ctx, record, "late event");
        return PH_OK;
    }
    if (in->is_close) {
        self->host->reject(self->ctx, record,
                           "field 'event' closes a conversation with no messages");
        return PH_OK;
    }
    if (found != NULL) {
        conversation_restart(found);
    } else if ((found = open_conversation(self, record, in, hash, latest_before)) == NULL) {
        return out_of_memory(self);
    }
    if (add_message(self, found, in) != 0) {
        /* An open conversation always has a message: drop the empty one. */
        deadline_heap_remove(&self->deadlines, found);
        conversation_table_remove(&self->conversations, found);
        conversation_free(found);
        return out_of_memory(self);
    }
    return PH_OK;
}

static ph_status chat_process(void *instance, const ph_record *records, size_t count)
{
    chat_analytics *self = instance;
    const ph_host_api *host = self->host;

    for (size_t i = 0; i < count; i++) {
        const ph_record *record = &records[i];
        const char *error = NULL;
        json_t *value = host->record_json(self->ctx, record, &error);
        latest_time latest_before = self->latest;
        const char *reason;
        chat_record in;
        ph_status status;

        if (value == NULL) {
            host->reject(self->ctx, record, "value is not JSON: %s",
                         error != NULL ? error : "no value");
            continue;
        }
        reason = chat_record_read(host, value, &in);
        if (reason != NULL) {
            host->reject(self->ctx, record, "%s", reason);
            continue;
        }
        /* Every valid record moves the watermark, a late one included;
         * conversations it passes end before the record is applied, so a
         * message after a silence of session_gap starts afresh. */
        if (!self->latest.known || in.ts_ms > self->latest.ms) {
            self->latest = (latest_time){.known = 1, .ms = in.ts_ms};
            if ((status = expire(self, record)) != PH_OK)
                return status;
        }
        if ((status = apply(self, record, &in, &latest_before)) != PH_OK)
            return status;
    }
    return PH_OK;
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp((*(conversation *const *)a)->id, (*(conversation *const *)b)->id);
}

/* Emit every open conversation, by id, as not final. */
static ph_status emit_open(chat_analytics *self)
{
    conversation_table *table = &self->conversations;
    conversation **open = malloc((table->count + 1) * sizeof(*open));
    size_t open_count = 0;
    ph_status status = PH_OK;

    if (open == NULL)
        return out_of_memory(self);
    for (size_t i = 0; i <= table->mask; i++) {
        if (table->slots[i] != NULL && !table->slots[i]->ended)
            open[open_count++] = table->slots[i];
    }
    qsort(open, open_count, sizeof(*open), compare_ids);
    for (size_t i = 0; i < open_count && status == PH_OK; i++)
        status = emit_report(self, NULL, open[i], conversation_last_message_ms(open[i]), 0);
    free(open);
    return status;
}

/* The checkpoint to commit with the retain offset: the latest event time
 * before the oldest held id's first record (see the top of the file). */
static ph_status save_checkpoint(chat_analytics *self, const latest_time *latest)
{
    char text[CHECKPOINT_TEXT_SIZE];

    if (!PH_HOST_HAS(self->host, set_checkpoint))
        return PH_OK;
    checkpoint_text_write(latest, text);
    if (self->host->set_checkpoint(self->ctx, text) != 0) {
        self->host->log(self->ctx, PH_LOG_ERROR, "the host refused the checkpoint '%s'", text);
        return PH_FATAL;
    }
    return PH_OK;
}

static ph_status chat_flush(void *instance, ph_flush_mode mode, int64_t *retain_offset)
{
    chat_analytics *self = instance;
    const conversation_table *table = &self->conversations;
    const conversation *oldest = NULL;

    /* Conversations end as records arrive: a checkpoint has nothing to
     * emit. The final flush shows the open ones as they stand. */
    if (mode == PH_FLUSH_FINAL) {
        ph_status status = emit_open(self);

        if (status != PH_OK)
            return status;
    }
    /* Ended ids too: a replay needs them whole while they are held. */
    for (size_t i = 0; i <= table->mask; i++) {
        const conversation *held = table->slots[i];

        if (held != NULL && (oldest == NULL || held->held_from_offset < oldest->held_from_offset))
            oldest = held;
    }
    *retain_offset = oldest != NULL ? oldest->held_from_offset : PH_OFFSET_NONE;
    return save_checkpoint(self, oldest != NULL ? &oldest->latest_before : &self->latest);
}

static void chat_destroy(void *instance)
{
    chat_analytics *self = instance;

    if (self == NULL)
        return;
    conversation_table_free(&self->conversations);
    deadline_heap_free(&self->deadlines);
    lexicon_free(&self->lexicon);
    free(self);
}

/* A duration field in [minimum, MAX_DURATION_MS]. */
static int read_duration(const json_t *config, const char *name, int64_t minimum,
                         int64_t *ms, char *err, size_t err_size)
{
    const json_t *value = json_object_get(config, name);

    if (!json_is_integer(value) || json_integer_value(value) < minimum ||
        json_integer_value(value) > MAX_DURATION_MS) {
        snprintf(err, err_size, "%s: expected a duration from %s to 365d", name,
                 minimum == 0 ? "0s" : "1ms");
        return -1;
    }
    *ms = json_integer_value(value);
    return 0;
}

/* Resume from the latest event time the previous instance committed. A
 * text this plugin did not write is ignored: starting afresh is what a
 * partition without a commit does. */
static void restore_checkpoint(chat_analytics *self)
{
    const char *text;

    if (!PH_HOST_HAS(self->host, checkpoint) || (text = self->host->checkpoint(self->ctx)) == NULL)
        return;
    if (checkpoint_text_read(text, &self->latest) != 0)
        self->host->log(self->ctx, PH_LOG_WARN,
                        "ignoring checkpoint '%.80s' (expected latest=<epoch ms> or "
                        "latest=none); starting without a watermark",
                        text);
}

static int chat_init(const ph_host_api *host, ph_context *ctx, const json_t *config,
                     void **instance, char *err, size_t err_size)
{
    chat_analytics *self = calloc(1, sizeof(*self));

    *instance = self;
    if (self == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    self->host = host;
    self->ctx = ctx;
    if (read_duration(config, "session_gap", 1, &self->session_gap_ms, err, err_size) != 0 ||
        read_duration(config, "allowed_lateness", 0, &self->allowed_lateness_ms, err,
                      err_size) != 0)
        return -1;
    if (lexicon_build(&self->lexicon, json_object_get(config, "lexicon"),
                      json_object_get(config, "topics"), err, err_size) != 0)
        return -1;
    if (conversation_table_init(&self->conversations) != 0) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    restore_checkpoint(self);
    return 0;
}

/* Everyday English support vocabulary. No stemming: inflections are listed. */
#define DEFAULT_LEXICON                                                                   \
    "{positive: [thanks, thank, thx, great, perfect, awesome, love, helpful, resolved,"   \
    " solved, excellent, happy, amazing, wonderful, fantastic, appreciate, appreciated,"  \
    " glad, quick, brilliant],"                                                           \
    " negative: [angry, terrible, broken, worst, useless, disappointed, disappointing,"   \
    " slow, cancel, awful, horrible, bad, annoyed, frustrated, frustrating,"              \
    " unacceptable, ridiculous, hate, poor, crash, crashing]}"

#define DEFAULT_TOPICS                                                                    \
    "{billing: [invoice, invoices, charge, charged, charges, refund, refunds, billing,"   \
    " payment, payments, bill],"                                                          \
    " shipping: [delivery, delivered, shipping, shipped, tracking, package, parcel,"      \
    " courier, carrier],"                                                                 \
    " account: [login, password, account, reset, locked, username, signin]}"

static const ph_config_field chat_fields[] = {
    {.name = "session_gap", .type = PH_CONFIG_DURATION, .default_value = "30m",
     .description = "a conversation without a close event ends this long after its last "
                    "message, in event time"},
    {.name = "allowed_lateness", .type = PH_CONFIG_DURATION, .default_value = "10s",
     .description = "the watermark trails the latest event time seen by this much"},
    {.name = "lexicon", .type = PH_CONFIG_MAP, .default_value = DEFAULT_LEXICON,
     .description = "sentiment words: {positive: [words], negative: [words]}"},
    {.name = "topics", .type = PH_CONFIG_MAP, .default_value = DEFAULT_TOPICS,
     .description = "topic name to keywords; a conversation has a topic when any message "
                    "holds one of its keywords"},
};

static const ph_descriptor chat_descriptor = {
    PH_DESCRIPTOR_HEADER,
    .kind = PH_KIND_PROCESSOR,
    .name = "chat_analytics",
    .version = "1.0.0",
    .description = "one summary per support conversation: response times, sentiment, topics",
    .config_fields = chat_fields,
    .config_field_count = sizeof(chat_fields) / sizeof(chat_fields[0]),
    .init = chat_init,
    .process = chat_process,
    .flush = chat_flush,
    .destroy = chat_destroy,
};

const ph_descriptor *ph_plugin_descriptor(void)
{
    return &chat_descriptor;
}

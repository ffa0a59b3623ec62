/*
 * Hot reload: a new version of the pipeline file, taken in while the
 * pipeline runs.
 *
 * What asks for one. SIGHUP sets a flag (pipeline_request_reload). With
 * `watch: true` the consume loop looks, about once a second, at the
 * identity (device, inode, size, mtime) of the pipeline file and of every
 * plugin file the running version loaded, and reloads once a change has
 * held still for one look, so that an editor or a build is not caught
 * mid-write. No thread and no extra library: all of this file runs on the
 * consume loop's thread between two batches, where librdkafka 2.0 allows
 * seek, subscribe and close, and where no rebalance callback can run.
 *
 * Checking first. The file is read and checked completely, as `validate`
 * does (the loader pipeline_run was given: YAML, every plugin loaded and
 * its config checked against its schema, the Kafka properties); then one
 * task of the new plan is created and destroyed (a plugin's init may still
 * refuse), and the sinks the new version needs are opened. Any failure is
 * logged with its FILE:LINE:COL, followed by a line saying that the
 * running pipeline continues unchanged, and nothing is touched. A plugin
 * file replaced on disk is loaded anew (plugin_loader.c says how) and is a
 * change like an edit of the file.
 *
 * Taking it in, at a flush boundary (workers idle):
 *  - Always: every task is flushed with PH_FLUSH_FINAL, then the sinks,
 *    and committed synchronously with the old chain, exactly as on a
 *    revoke; the tasks are destroyed; the new config, plan and (when they
 *    changed) sinks are installed; the old plan is freed, which unloads
 *    the plugins nothing uses any more.
 *  - processors, sinks, on_error, dead_letter, commit_interval_ms,
 *    workers, plugin files: the partitions stay assigned; the group never
 *    hears of it (no rebalance). Each partition gets a new task as on an
 *    assign, from its committed offset and the checkpoints of that last
 *    flush (taken from the old task rather than read back from Kafka: a
 *    commit held at a stage's retain offset does not carry them anew), and
 *    is sought back to the committed offset: the records from there to
 *    where processing had reached are replayed with their output
 *    suppressed (rebuilding the state of stateful stages), everything
 *    after goes through the new chain. So no record's effect is lost or
 *    written twice. A stage gets its checkpoint back by name; a stage that
 *    is new, or whose name now belongs to another plugin, starts without
 *    one.
 *  - kafka.topics (and kafka.embedded_partitions): the same, then the
 *    consumer subscribes to the new list; the group rebalances, the
 *    partitions of dropped topics are revoked (flushed and committed as
 *    usual) and those of new topics assigned.
 *  - kafka.brokers, kafka.group, kafka.properties: every task is revoked
 *    (flushed, committed), the consumer is closed (it leaves its group
 *    cleanly), and a new consumer subscribes with the new settings. The
 *    embedded broker is kept while `brokers` stays `embedded`.
 * A failure while taking the new version in (a commit, a seek, a new
 * consumer) is logged; one that leaves no way to go on stops the pipeline
 * the way a failure at run time does.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/pipeline_changes.h"
#include "runtime/engine.h"
#include "services/log.h"

#define WATCH_POLL_MS 1000
#define WHAT_SIZE 2048

static volatile sig_atomic_t reload_requested;

void pipeline_request_reload(void) { reload_requested = 1; }

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- watching the files ---------------------------------------------------- */

static void watch_clear(reload_state *r)
{
    for (size_t i = 0; i < r->watched_count; i++)
        free(r->watched[i]);
    free(r->watched);
    free(r->read_as);
    free(r->polled);
    r->watched = NULL;
    r->read_as = r->polled = NULL;
    r->watched_count = 0;
}

/* A missing file reads as all zeros: a change, until it is back. */
static void identity_now(const char *path, file_identity *identity)
{
    if (file_identity_read(path, identity) != 0)
        memset(identity, 0, sizeof(*identity));
}

/* Watch the running version's files: the pipeline file (as it was when
 * read: pipeline_file) and each plugin (as loaded). */
static void watch_running_version(engine *e, const file_identity *pipeline_file)
{
    reload_state *r = &e->reload;
    watch_clear(r);
    size_t count = 1 + e->plan->plugin_count;
    r->watched = calloc(count, sizeof(*r->watched));
    r->read_as = calloc(count, sizeof(*r->read_as));
    r->polled = calloc(count, sizeof(*r->polled));
    if (!r->watched || !r->read_as || !r->polled) {
        watch_clear(r);
        log_warn("reload", "out of memory: the files are not watched");
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const char *path = i == 0 ? e->config->file : e->plan->plugins[i - 1]->path;
        if (!(r->watched[i] = strdup(path))) {
            watch_clear(r);
            log_warn("reload", "out of memory: the files are not watched");
            return;
        }
        r->watched_count = i + 1;
        r->read_as[i] = i == 0 ? *pipeline_file : e->plan->plugins[i - 1]->file;
        r->polled[i] = r->read_as[i];
    }
}

/* Whether the watched files differ from what the running version was read
 * from, and have held still since the last look. */
static int watch_saw_change(reload_state *r)
{
    int differs = 0, moved = 0;
    for (size_t i = 0; i < r->watched_count; i++) {
        file_identity now;
        identity_now(r->watched[i], &now);
        differs |= !file_identity_equal(&now, &r->read_as[i]);
        moved |= !file_identity_equal(&now, &r->polled[i]);
        r->polled[i] = now;
    }
    return differs && !moved;
}

/* A version that was refused is not retried until the files change again. */
static void watch_accept_refused(reload_state *r)
{
    for (size_t i = 0; i < r->watched_count; i++) {
        identity_now(r->watched[i], &r->polled[i]);
        r->read_as[i] = r->polled[i];
    }
}

void reload_init(engine *e, pipeline_loader loader, pipeline_config *owned_config,
                 pipeline_plan *owned_plan)
{
    reload_state *r = &e->reload;
    memset(r, 0, sizeof(*r));
    r->loader = loader;
    r->owned_config = owned_config;
    r->owned_plan = owned_plan;
    if (!loader)
        return;
    file_identity pipeline_file;
    identity_now(e->config->file, &pipeline_file);
    watch_running_version(e, &pipeline_file);
    r->next_poll_ms = monotonic_ms() + WATCH_POLL_MS;
}

void reload_finish(engine *e)
{
    reload_state *r = &e->reload;
    watch_clear(r);
    pipeline_plan_free(r->owned_plan);
    pipeline_config_free(r->owned_config);
    r->owned_plan = NULL;
    r->owned_config = NULL;
}

/* ---- what changed ------------------------------------------------------------ */

static const loaded_plugin *plugin_named(const pipeline_plan *plan, const char *name)
{
    for (size_t i = 0; i < plan->plugin_count; i++) {
        if (strcmp(plan->plugins[i]->name, name) == 0)
            return plan->plugins[i];
    }
    return NULL;
}

/* Plugins the new plan loaded from another file, or from a new version of
 * the same file. A plugin it uses for the first time shows as a change of
 * processors or sinks. */
static unsigned plugin_changes(const pipeline_plan *before, const pipeline_plan *after,
                               char *what, size_t size)
{
    unsigned changes = 0;
    for (size_t i = 0; i < after->plugin_count; i++) {
        const loaded_plugin *now = after->plugins[i];
        const loaded_plugin *was = plugin_named(before, now->name);
        char text[PATH_MAX + 128];
        if (!was)
            continue;
        if (strcmp(was->path, now->path) != 0)
            snprintf(text, sizeof(text), "plugin %s now from %s", now->name, now->path);
        else if (!file_identity_equal(&was->file, &now->file))
            snprintf(text, sizeof(text), "plugin %s replaced on disk (%s)", now->name, now->path);
        else
            continue;
        pipeline_changes_append(what, size, text);
        changes |= PIPELINE_CHANGE_STAGES;
    }
    return changes;
}

/* Stage i of a plan: its processors, then its sink plugins. */
static const stage_plan *stage_at(const pipeline_plan *plan, size_t i)
{
    return i < plan->processor_count ? &plan->processors[i]
                                     : &plan->sinks[i - plan->processor_count];
}

/* Stage names of after whose plugin differs in before: their checkpoints
 * belong to another plugin. NULL-terminated; caller frees the array. */
static const char **foreign_checkpoints(const pipeline_plan *before, const pipeline_plan *after)
{
    size_t total = after->processor_count + after->sink_count;
    size_t old_total = before->processor_count + before->sink_count;
    const char **names = calloc(total + 1, sizeof(*names));
    size_t count = 0;
    for (size_t i = 0; names && i < total; i++) {
        const stage_plan *now = stage_at(after, i);
        for (size_t j = 0; j < old_total; j++) {
            const stage_plan *was = stage_at(before, j);
            if (strcmp(was->name, now->name) == 0 &&
                strcmp(was->plugin->name, now->plugin->name) != 0)
                names[count++] = now->name;
        }
    }
    return names;
}

/* Drop the named stages from committed metadata (what task_checkpoint
 * wrote), in place in p. */
static void drop_checkpoints(rd_kafka_topic_partition_t *p, const char **names)
{
    if (!names || !names[0] || !p->metadata || p->metadata_size == 0)
        return;
    json_t *meta = json_loadb(p->metadata, p->metadata_size, 0, NULL);
    json_t *stages = json_object_get(meta, "stages");
    if (json_is_object(stages)) {
        for (size_t i = 0; names[i]; i++)
            json_object_del(stages, names[i]);
        char *text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
        if (text) {
            free(p->metadata); /* the list frees metadata with free() */
            p->metadata = text;
            p->metadata_size = strlen(text);
        }
    }
    json_decref(meta);
}

/* ---- the new version, prepared beside the running one ------------------------ */

typedef struct next_version {
    pipeline_config *config;
    pipeline_plan *plan;
    unsigned changes;
    const char *bootstrap;
    /* Sinks, producer, dead-letter topic and broker for config, in the
     * engine fields engine_open_sinks and engine_create_embedded_topics
     * fill. The broker is the running one, or new (own_broker). */
    engine parts;
    int own_broker;
    int opened_sinks;
} next_version;

static int reopens_sinks(unsigned changes)
{
    return (changes & (PIPELINE_CHANGE_SINKS | PIPELINE_CHANGE_CONSUMER)) != 0;
}

static void discard_next(next_version *next)
{
    engine_close_sinks(&next->parts);
    if (next->own_broker)
        embedded_broker_stop(next->parts.broker);
    pipeline_plan_free(next->plan);
    pipeline_config_free(next->config);
}

/* Everything that can fail before the running pipeline is touched. */
static int prepare_next(engine *e, next_version *next, char *err, size_t err_size)
{
    const pipeline_config *c = next->config;
    engine *parts = &next->parts;
    parts->config = c;
    parts->env = e->env;
    parts->dead_letter_topic = engine_dead_letter_topic(c);
    if (engine_probe_stages(e, next->plan, c->topics[0], err, err_size) != 0)
        return -1;
    if (strcmp(c->brokers, "embedded") == 0) {
        parts->broker = e->broker;
        if (!parts->broker) {
            parts->broker = embedded_broker_start(1, err, err_size);
            if (!parts->broker)
                return -1;
            next->own_broker = 1;
            log_info("reload", "embedded broker listening on %s",
                     embedded_broker_bootstraps(parts->broker));
        }
        if (engine_create_embedded_topics(parts, err, err_size) != 0)
            return -1;
        next->bootstrap = embedded_broker_bootstraps(parts->broker);
    } else {
        next->bootstrap = c->brokers;
    }
    if (reopens_sinks(next->changes)) {
        if (engine_open_sinks(parts, next->bootstrap, err, err_size) != 0)
            return -1;
        next->opened_sinks = 1;
    }
    return 0;
}

/* ---- taking it in ---------------------------------------------------------------- */

/* Where a retired task's partition stood, for --exit-at-end. */
typedef struct partition_bounds {
    int64_t end_offset;
    int64_t low_offset;
    int starts_at_end;
} partition_bounds;

/* Flush, commit and destroy every task, keeping the partitions assigned.
 * Returns them, each with its committed offset and the checkpoint text of
 * this last flush as metadata (what a new task resumes from), and in
 * *bounds their ends; NULL when there are none. */
static rd_kafka_topic_partition_list_t *retire_tasks(engine *e, partition_bounds **bounds)
{
    *bounds = NULL;
    size_t count = e->slot_count;
    if (count == 0)
        return NULL;
    if (engine_flush_and_commit(e, e->slots, count, PH_FLUSH_FINAL, 1) != 0 &&
        !atomic_load(&e->failed))
        log_warn("reload", "the commit before the new tasks failed: they resume from the last "
                           "commit that succeeded, and what was written since may be written "
                           "again after a restart");
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new((int)count);
    *bounds = calloc(count, sizeof(**bounds));
    for (size_t i = 0; i < count; i++) {
        partition_slot *slot = e->slots[i];
        task *t = slot->task;
        if (parts && *bounds) {
            rd_kafka_topic_partition_t *p =
                rd_kafka_topic_partition_list_add(parts, t->topic, t->partition);
            p->offset = t->offsets.committed_offset >= 0 ? t->offsets.committed_offset
                                                         : RD_KAFKA_OFFSET_INVALID;
            /* This flush's own checkpoints: the commit carried them only
             * if its offset moved. The list frees metadata. */
            p->metadata = task_checkpoint(t);
            p->metadata_size = p->metadata ? strlen(p->metadata) : 0;
            (*bounds)[i] = (partition_bounds){slot->end_offset, slot->low_offset,
                                              slot->starts_at_end};
        }
        slot_destroy(e, slot);
    }
    e->slot_count = 0;
    if (!parts || !*bounds) {
        if (parts)
            rd_kafka_topic_partition_list_destroy(parts);
        free(*bounds);
        *bounds = NULL;
        engine_fail(e, "out of memory at a reload");
        return NULL;
    }
    return parts;
}

static int subscribed(const pipeline_config *config, const char *topic)
{
    for (size_t i = 0; i < config->topic_count; i++) {
        if (strcmp(config->topics[i], topic) == 0)
            return 1;
    }
    return 0;
}

/* New tasks for parts (as retire_tasks left them), each partition sought
 * back to its committed offset (see the top of this file); none for the
 * topics the new version no longer subscribes to. */
static void resume_tasks(engine *e, rd_kafka_topic_partition_list_t *parts,
                         const partition_bounds *bounds, const char **foreign)
{
    partition_slot **slots = realloc(e->slots, ((size_t)parts->cnt + 1) * sizeof(*slots));
    rd_kafka_topic_partition_list_t *seeks = rd_kafka_topic_partition_list_new(parts->cnt);
    if (!slots || !seeks) {
        if (slots)
            e->slots = slots;
        if (seeks)
            rd_kafka_topic_partition_list_destroy(seeks);
        engine_fail(e, "out of memory at a reload");
        return;
    }
    e->slots = slots;
    int resumed = 0;
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        if (!subscribed(e->config, p->topic)) {
            /* Committed above; the rebalance the new subscription brings
             * takes it away (librdkafka 2.0 calls it lost). Records still
             * fetched for it find no task and are dropped uncommitted. */
            log_info("reload", "%s[%d]: its topic is no longer subscribed: committed at %lld "
                               "and closed", p->topic, (int)p->partition, (long long)p->offset);
            continue;
        }
        drop_checkpoints(p, foreign);
        partition_slot *slot = slot_resume(e, p);
        if (!slot) {
            engine_fail(e, "a stage could not start");
            break;
        }
        resumed++;
        slot->end_offset = bounds[i].end_offset;
        slot->low_offset = bounds[i].low_offset;
        slot->starts_at_end = bounds[i].starts_at_end;
        e->slots[e->slot_count++] = slot;
        /* Nothing committed: nothing was processed, or no commit ever
         * succeeded; the consumer goes on from where it stands. */
        if (p->offset >= 0)
            rd_kafka_topic_partition_list_add(seeks, p->topic, p->partition)->offset = p->offset;
    }
    if (seeks->cnt > 0) {
        rd_kafka_error_t *error = rd_kafka_seek_partitions(e->consumer, seeks, KAFKA_TIMEOUT_MS);
        if (error) {
            log_warn("reload", "seeking back to the commits: %s", rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
        for (int i = 0; i < seeks->cnt; i++) {
            if (seeks->elems[i].err)
                log_warn("reload", "%s[%d]: cannot seek back to offset %lld: %s",
                         seeks->elems[i].topic, (int)seeks->elems[i].partition,
                         (long long)seeks->elems[i].offset, rd_kafka_err2str(seeks->elems[i].err));
        }
    }
    log_info("reload", "%d partitions go on with the new version from their commits, without "
                       "a rebalance", resumed);
    rd_kafka_topic_partition_list_destroy(seeks);
}

/* Leave the group: the tasks were revoked already. */
static void close_consumer(engine *e)
{
    rd_kafka_consumer_close(e->consumer);
    rd_kafka_queue_destroy(e->queue);
    rd_kafka_destroy(e->consumer);
    e->consumer = NULL;
    e->queue = NULL;
}

/* Install the new config and plan; free the old ones when the run owns
 * them: nothing uses them any more (the old tasks are gone), and freeing
 * the plan unloads the plugins only it used. */
static void install_version(engine *e, next_version *next)
{
    reload_state *r = &e->reload;
    pipeline_plan_free(r->owned_plan);
    pipeline_config_free(r->owned_config);
    r->owned_plan = next->plan;
    r->owned_config = next->config;
    e->plan = next->plan;
    e->config = next->config;
    e->env.on_error = next->config->on_error;
    next->plan = NULL;
    next->config = NULL;
}

static void install_sinks(engine *e, next_version *next)
{
    if (next->opened_sinks) {
        engine_close_sinks(e);
        e->sinks = next->parts.sinks;
        e->sink_count = next->parts.sink_count;
        e->producer = next->parts.producer;
        e->dead_letter_topic = next->parts.dead_letter_topic;
    } else {
        free(next->parts.dead_letter_topic);
    }
    next->parts.sinks = NULL;
    next->parts.sink_count = 0;
    next->parts.producer = NULL;
    next->parts.dead_letter_topic = NULL;
    /* The old embedded broker goes once nothing of the old version uses
     * it: the consumer and the producer were closed above. */
    if (e->broker != next->parts.broker) {
        embedded_broker_stop(e->broker);
        e->broker = next->parts.broker;
    }
    next->own_broker = 0;
}

static void restart_workers(engine *e)
{
    worker_pool_stop(&e->pool);
    size_t workers = engine_worker_count(e->config);
    if (worker_pool_start(&e->pool, workers) != 0)
        engine_fail(e, "cannot start worker threads");
    else
        log_info("reload", "%zu workers", workers);
}

static void take_in(engine *e, next_version *next)
{
    unsigned changes = next->changes;
    int new_consumer = (changes & PIPELINE_CHANGE_CONSUMER) != 0;
    int new_workers = (changes & PIPELINE_CHANGE_WORKERS) != 0;
    const char **foreign = foreign_checkpoints(e->plan, next->plan);
    partition_bounds *bounds = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    char err[1024];

    engine_wait_idle(e);
    if (new_consumer || new_workers)
        fetch_waker_finish(&e->waker); /* it runs on the workers, with the consumer */
    if (new_consumer) {
        log_info("reload", "the Kafka settings changed: leaving group %s to join with a new "
                           "consumer", e->config->group);
        engine_revoke(e, NULL, 0);
        close_consumer(e);
    } else {
        parts = retire_tasks(e, &bounds);
    }
    install_sinks(e, next);
    install_version(e, next);
    if (new_workers)
        restart_workers(e);
    if (new_consumer || new_workers)
        fetch_waker_init(&e->waker, e);

    if (new_consumer) {
        e->assigned_once = 0;
        e->paused = 0;
        if (engine_start_consumer(e, next->bootstrap, err, sizeof(err)) != 0) {
            log_error("reload", "%s", err);
            engine_fail(e, "the new consumer could not start");
        } else {
            log_info("reload", "consuming %s as group %s", e->config->topics[0], e->config->group);
        }
    } else {
        if (parts)
            resume_tasks(e, parts, bounds, foreign);
        if (changes & PIPELINE_CHANGE_TOPICS) {
            if (engine_subscribe(e, err, sizeof(err)) != 0) {
                log_error("reload", "%s", err);
                engine_fail(e, "the new topics could not be subscribed");
            } else {
                log_info("reload", "subscribed to the new topics: the group rebalances");
            }
        }
    }
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
    free(bounds);
    free(foreign);
}

/* ---- a reload --------------------------------------------------------------------- */

static int reload_now(engine *e, const char *why)
{
    reload_state *r = &e->reload;
    const char *path = e->config->file;
    file_identity read_as;
    identity_now(path, &read_as);
    log_info("reload", "%s: reading %s", why, path);

    next_version next = {0};
    config_error cerr;
    char err[1024];
    char what[WHAT_SIZE] = "";
    if (r->loader(path, &next.config, &next.plan, &cerr) != 0) {
        log_error("reload", "%s", cerr.text);
        log_warn("reload", "the running pipeline continues unchanged");
        watch_accept_refused(r);
        return 0;
    }
    next.changes = pipeline_config_changes(e->config, next.config, what, sizeof(what));
    next.changes |= plugin_changes(e->plan, next.plan, what, sizeof(what));
    if (next.changes == 0) {
        log_info("reload", "%s: nothing changed", path);
        discard_next(&next);
        watch_accept_refused(r);
        return 0;
    }
    log_info("reload", "%s changed: %s", path, what);
    if (prepare_next(e, &next, err, sizeof(err)) != 0) {
        log_error("reload", "%s", err);
        log_warn("reload", "the running pipeline continues unchanged");
        discard_next(&next);
        watch_accept_refused(r);
        return 0;
    }
    take_in(e, &next); /* frees the old version, and path with it */
    discard_next(&next); /* what take_in did not keep */
    watch_running_version(e, &read_as);
    r->reloads++;
    log_info("reload", "now running version %ld of %s", r->reloads + 1, e->config->file);
    return 1;
}

int reload_poll(engine *e)
{
    reload_state *r = &e->reload;
    if (!r->loader)
        return 0;
    if (reload_requested) {
        reload_requested = 0;
        return reload_now(e, "SIGHUP");
    }
    if (!e->config->watch || r->watched_count == 0)
        return 0;
    int64_t now = monotonic_ms();
    if (now < r->next_poll_ms)
        return 0;
    r->next_poll_ms = now + WATCH_POLL_MS;
    if (!watch_saw_change(r))
        return 0;
    return reload_now(e, "watch: the files changed");
}

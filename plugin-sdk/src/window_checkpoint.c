/*
 * The watermark across a restart: written into the checkpoint text the
 * host commits with the partition's offset, read back by the next
 * instance so that replay from the retain offset meets the clock the
 * first run had there.
 */
#include <pipehost/window.h>

#include <inttypes.h>
#include <stdio.h>

/* Every watermark a clock can have: the newest event time within
 * [PH_WINDOW_TIME_MIN, PH_WINDOW_TIME_MAX], less a lateness within
 * [0, PH_WINDOW_DURATION_MAX]. */
#define WATERMARK_MIN (PH_WINDOW_TIME_MIN - PH_WINDOW_DURATION_MAX)
#define WATERMARK_MAX PH_WINDOW_TIME_MAX

int ph_window_checkpoint_write(const ph_window_set *set, const ph_window_clock *clock, char *buf,
                               size_t size)
{
    int64_t watermark = ph_window_resume_watermark(set, clock);
    int length;

    if (watermark == PH_WINDOW_NO_TIME)
        length = snprintf(buf, size, "{\"watermark\":null}");
    else
        length = snprintf(buf, size, "{\"watermark\":%" PRId64 "}", watermark);
    return length >= 0 && (size_t)length < size ? length : -1;
}

/* The watermark of a checkpoint text into *watermark (PH_WINDOW_NO_TIME
 * for null). 0, or -1 when the text is not a checkpoint. */
static int parse_watermark(const char *text, int64_t *watermark)
{
    json_t *checkpoint = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    const json_t *value = json_object_get(checkpoint, "watermark");
    int result = -1;

    if (json_is_null(value)) {
        *watermark = PH_WINDOW_NO_TIME;
        result = 0;
    } else if (json_is_integer(value) && json_integer_value(value) >= WATERMARK_MIN &&
               json_integer_value(value) <= WATERMARK_MAX) {
        *watermark = json_integer_value(value);
        result = 0;
    }
    json_decref(checkpoint);
    return result;
}

int ph_window_checkpoint_read(ph_window_clock *clock, const char *text)
{
    int64_t watermark;

    if (text == NULL || parse_watermark(text, &watermark) != 0)
        return -1;
    /* The newest event time that gives this watermark under the current
     * lateness: the windows it closes are exactly those closed before. */
    clock->max_event_ms = watermark == PH_WINDOW_NO_TIME
                              ? PH_WINDOW_NO_TIME
                              : watermark + clock->allowed_lateness_ms;
    return 0;
}

void ph_window_clock_checkpoint(const ph_window_clock *clock, const ph_window_set *set,
                                const ph_host_api *host, ph_context *ctx)
{
    char text[PH_WINDOW_CHECKPOINT_SIZE];

    if (!PH_HOST_HAS(host, set_checkpoint) || host->set_checkpoint == NULL)
        return;
    if (ph_window_checkpoint_write(set, clock, text, sizeof(text)) < 0 ||
        host->set_checkpoint(ctx, text) != 0)
        host->log(ctx, PH_LOG_WARN,
                  "could not set the checkpoint: a restart may emit partial windows");
}

void ph_window_clock_restore(ph_window_clock *clock, const ph_host_api *host, ph_context *ctx)
{
    const char *text;

    if (!PH_HOST_HAS(host, checkpoint) || host->checkpoint == NULL ||
        (text = host->checkpoint(ctx)) == NULL)
        return;
    if (ph_window_checkpoint_read(clock, text) != 0)
        host->log(ctx, PH_LOG_WARN,
                  "ignoring a malformed checkpoint (%.100s): starting with no watermark", text);
}

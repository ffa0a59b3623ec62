#include "checkpoint_text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_record.h"

#define PREFIX "latest="
#define NONE "none"

void checkpoint_text_write(const latest_time *latest, char text[CHECKPOINT_TEXT_SIZE])
{
    if (latest->known)
        snprintf(text, CHECKPOINT_TEXT_SIZE, PREFIX "%" PRId64, latest->ms);
    else
        snprintf(text, CHECKPOINT_TEXT_SIZE, PREFIX NONE);
}

int checkpoint_text_read(const char *text, latest_time *latest)
{
    const char *number = text + strlen(PREFIX);
    const char *digits;
    char *end;
    long long ms;

    if (strncmp(text, PREFIX, strlen(PREFIX)) != 0)
        return -1;
    if (strcmp(number, NONE) == 0) {
        *latest = (latest_time){.known = 0};
        return 0;
    }
    /* Only what write produces: strtoll alone would also take leading
     * blanks and a '+'. */
    digits = number[0] == '-' ? number + 1 : number;
    if (*digits < '0' || *digits > '9')
        return -1;
    errno = 0;
    ms = strtoll(number, &end, 10);
    if (errno != 0 || *end != '\0' || ms < CHAT_TIME_MIN_MS || ms > CHAT_TIME_MAX_MS)
        return -1;
    *latest = (latest_time){.known = 1, .ms = ms};
    return 0;
}

/*
 * Event time: ISO-8601 text and epoch milliseconds.
 *
 * Parsing runs once per record, so it reads the text by hand and computes
 * the day number arithmetically (proleptic Gregorian calendar) instead of
 * going through timegm(), sscanf() or the locale.
 */
#include "services/event_time.h"

#include "services/json_fields.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MS_PER_MINUTE INT64_C(60000)
#define MS_PER_DAY INT64_C(86400000)

/* days_before_year(1970): the epoch's day number counted from 0000-01-01. */
#define EPOCH_DAY INT64_C(719528)

/* Days before the first of each month in a common year. */
static const int days_before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

typedef struct civil_time {
    int year, month, day;
    int hour, minute, second, millisecond;
} civil_time;

typedef struct time_cursor {
    const char *p;
    const char *end;
} time_cursor;

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    if (a % b != 0 && (a < 0) != (b < 0))
        q--;
    return q;
}

static int is_leap_year(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int64_t year, int month)
{
    static const int lengths[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return month == 2 && is_leap_year(year) ? 29 : lengths[month - 1];
}

/* Days from 0000-01-01 to the first of year: 365 a year plus the leap
 * years in [0, year), i.e. multiples of 4, less those of 100, plus those
 * of 400. Floor division keeps it right for years before 0. */
static int64_t days_before_year(int64_t year)
{
    return 365 * year + floor_div(year + 3, 4) - floor_div(year + 99, 100) +
           floor_div(year + 399, 400);
}

/* Days since 1970-01-01 of a valid date. */
static int64_t days_from_civil(int64_t year, int month, int day)
{
    int64_t days = days_before_year(year) - EPOCH_DAY;

    days += days_before_month[month - 1] + (month > 2 && is_leap_year(year));
    return days + day - 1;
}

static int day_of_year_before_month(int64_t year, int month)
{
    return days_before_month[month - 1] + (month > 2 && is_leap_year(year));
}

/* The date of a day number (days since 1970-01-01). */
static void civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    /* 146097 days make 400 years: estimate, then settle on the year. */
    int64_t y = 1970 + floor_div(days * 400, 146097);
    int64_t day_of_year;
    int m = 1;

    while (days < days_before_year(y) - EPOCH_DAY)
        y--;
    while (days >= days_before_year(y + 1) - EPOCH_DAY)
        y++;
    day_of_year = days - (days_before_year(y) - EPOCH_DAY);
    while (m < 12 && day_of_year >= day_of_year_before_month(y, m + 1))
        m++;
    *year = y;
    *month = m;
    *day = (int)(day_of_year - day_of_year_before_month(y, m)) + 1;
}

/* Exactly count decimal digits. */
static int take_digits(time_cursor *c, int count, int *value)
{
    int v = 0;

    if (c->end - c->p < count)
        return -1;
    for (int i = 0; i < count; i++) {
        char ch = c->p[i];
        if (ch < '0' || ch > '9')
            return -1;
        v = v * 10 + (ch - '0');
    }
    c->p += count;
    *value = v;
    return 0;
}

/* One character among accepted. */
static int take_char(time_cursor *c, const char *accepted)
{
    if (c->p == c->end || *c->p == '\0' || strchr(accepted, *c->p) == NULL)
        return -1;
    c->p++;
    return 0;
}

static int next_is(const time_cursor *c, char ch)
{
    return c->p < c->end && *c->p == ch;
}

static int parse_date(time_cursor *c, civil_time *t)
{
    if (take_digits(c, 4, &t->year) != 0 || take_char(c, "-") != 0 ||
        take_digits(c, 2, &t->month) != 0 || take_char(c, "-") != 0 ||
        take_digits(c, 2, &t->day) != 0)
        return -1;
    if (t->month < 1 || t->month > 12)
        return -1;
    return t->day >= 1 && t->day <= days_in_month(t->year, t->month) ? 0 : -1;
}

static int parse_clock(time_cursor *c, civil_time *t)
{
    if (take_digits(c, 2, &t->hour) != 0 || take_char(c, ":") != 0 ||
        take_digits(c, 2, &t->minute) != 0 || take_char(c, ":") != 0 ||
        take_digits(c, 2, &t->second) != 0)
        return -1;
    return t->hour <= 23 && t->minute <= 59 && t->second <= 59 ? 0 : -1;
}

/* ".d", ".ddd", ".ddddddddd": milliseconds, further digits truncated. */
static int parse_fraction(time_cursor *c, civil_time *t)
{
    int scale = 100;
    const char *digits;

    t->millisecond = 0;
    if (!next_is(c, '.'))
        return 0;
    digits = ++c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        t->millisecond += (*c->p - '0') * scale;
        scale /= 10;
        c->p++;
    }
    return c->p > digits ? 0 : -1;
}

/* Nothing (UTC), "Z", or ±hh, ±hhmm, ±hh:mm. Minutes east of UTC. */
static int parse_zone(time_cursor *c, int *offset_minutes)
{
    int sign, hours, minutes = 0;

    *offset_minutes = 0;
    if (c->p == c->end || take_char(c, "Zz") == 0)
        return 0;
    if (next_is(c, '+') || next_is(c, '-'))
        sign = *c->p++ == '-' ? -1 : 1;
    else
        return -1;
    if (take_digits(c, 2, &hours) != 0 || hours > 23)
        return -1;
    if (next_is(c, ':')) {
        c->p++;
        if (take_digits(c, 2, &minutes) != 0)
            return -1;
    } else if (c->p < c->end && take_digits(c, 2, &minutes) != 0) {
        return -1;
    }
    if (minutes > 59)
        return -1;
    *offset_minutes = sign * (hours * 60 + minutes);
    return 0;
}

int event_time_parse_text(const char *text, size_t len, int64_t *epoch_ms)
{
    civil_time t;
    int offset_minutes;
    int64_t seconds_of_day;

    if (text == NULL)
        return -1;
    time_cursor c = {text, text + len};
    if (parse_date(&c, &t) != 0 || take_char(&c, "Tt ") != 0 ||
        parse_clock(&c, &t) != 0 || parse_fraction(&c, &t) != 0 ||
        parse_zone(&c, &offset_minutes) != 0 || c.p != c.end)
        return -1;
    seconds_of_day = (int64_t)t.hour * 3600 + t.minute * 60 + t.second;
    *epoch_ms = days_from_civil(t.year, t.month, t.day) * MS_PER_DAY +
                seconds_of_day * 1000 + t.millisecond - offset_minutes * MS_PER_MINUTE;
    return 0;
}

int event_time_parse_field(const ph_field *field, int64_t *epoch_ms)
{
    switch (field->type) {
    case PH_JSON_STRING:
        return event_time_parse_text(field->text, field->length, epoch_ms);
    case PH_JSON_INTEGER:
        if (field->integer < 0)
            return -1;
        *epoch_ms = field->integer;
        return 0;
    case PH_JSON_REAL:
        /* Also false for NaN; 2^63 is the first double past INT64_MAX. */
        if (!(field->number >= 0.0 && field->number < 9223372036854775808.0))
            return -1;
        *epoch_ms = (int64_t)field->number;
        return 0;
    default:
        return -1;
    }
}

int event_time_parse_json(const json_t *value, int64_t *epoch_ms)
{
    ph_field field;
    if (!value)
        return -1;
    json_field_from_value(value, &field);
    return event_time_parse_field(&field, epoch_ms);
}

size_t event_time_format(int64_t epoch_ms, char *buf, size_t buf_size)
{
    int64_t days = epoch_ms / MS_PER_DAY;
    int64_t ms_of_day = epoch_ms % MS_PER_DAY;
    int64_t year;
    int month, day, millisecond, n;
    char text[48];

    if (ms_of_day < 0) {
        ms_of_day += MS_PER_DAY;
        days--;
    }
    civil_from_days(days, &year, &month, &day);
    millisecond = (int)(ms_of_day % 1000);
    n = snprintf(text, sizeof(text), "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d", year, month,
                 day, (int)(ms_of_day / 3600000), (int)(ms_of_day / 60000 % 60),
                 (int)(ms_of_day / 1000 % 60));
    if (millisecond != 0)
        n += snprintf(text + n, sizeof(text) - (size_t)n, ".%03d", millisecond);
    n += snprintf(text + n, sizeof(text) - (size_t)n, "Z");
    if (buf_size == 0)
        return 0;
    if ((size_t)n >= buf_size)
        n = (int)buf_size - 1;
    memcpy(buf, text, (size_t)n);
    buf[n] = '\0';
    return (size_t)n;
}

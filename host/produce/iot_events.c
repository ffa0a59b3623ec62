/*
 * IoT telemetry: a fleet of sensors, each reporting temperature, pressure
 * and humidity around its own baseline with a slow drift and noise. Now
 * and then a device has an episode (overheating, a pressure drop) that
 * crosses the alert thresholds (temperature above 30, pressure below 990)
 * for a few readings and comes back. Outside episodes readings stay well
 * inside the thresholds, so alerts mean episodes. A third of the devices
 * send epoch milliseconds, the rest ISO-8601 text, as mixed firmware does.
 * About 95 readings per second of event time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "produce/event_profile.h"
#include "produce/late_arrival.h"

#define MIN_DEVICES 50
#define MAX_DEVICES 200
#define MAX_STEP_MS 20
#define EPISODE_CHANCE 0.002
#define MAX_DRIFT 3.0

enum episode {
    EPISODE_NONE,
    EPISODE_OVERHEAT,
    EPISODE_PRESSURE_DROP,
};

struct device {
    uint32_t number;
    bool epoch_time;
    double base_temperature; /* 18..25 C */
    double base_pressure;    /* 1005..1020 hPa */
    double base_humidity;    /* 30..60 % */
    double drift;            /* shared by the three readings: the room warms up */
    enum episode episode;
    uint32_t episode_left;
    double episode_level;
};

struct iot {
    struct device *devices;
    uint32_t device_count;
    int64_t now_ms;
};

/* Uniform in [low, high). */
static double uniform(struct prng *rng, double low, double high)
{
    return low + (high - low) * prng_unit(rng);
}

static void *iot_create(struct prng *rng, int64_t start_ms)
{
    struct iot *state = malloc(sizeof(*state));

    if (state == NULL)
        return NULL;
    state->device_count = (uint32_t)prng_between(rng, MIN_DEVICES, MAX_DEVICES);
    state->devices = calloc(state->device_count, sizeof(*state->devices));
    if (state->devices == NULL) {
        free(state);
        return NULL;
    }
    for (uint32_t i = 0; i < state->device_count; i++) {
        struct device *device = &state->devices[i];

        device->number = i + 1;
        device->epoch_time = prng_below(rng, 3) == 0;
        device->base_temperature = uniform(rng, 18.0, 25.0);
        device->base_pressure = uniform(rng, 1005.0, 1020.0);
        device->base_humidity = uniform(rng, 30.0, 60.0);
    }
    state->now_ms = start_ms;
    return state;
}

static void iot_destroy(void *opaque)
{
    struct iot *state = opaque;

    free(state->devices);
    free(state);
}

/* value * scale, rounded half up: 21.534 at scale 100 is 2153. */
static int64_t scaled_round(double value, double scale)
{
    return (int64_t)floor(value * scale + 0.5);
}

static void advance_device(struct device *device, struct prng *rng)
{
    /* A mean-reverting random walk, clamped so that ordinary readings
     * never reach a threshold. */
    device->drift = device->drift * 0.995 + prng_noise(rng) * 0.05;
    if (device->drift > MAX_DRIFT)
        device->drift = MAX_DRIFT;
    if (device->drift < -MAX_DRIFT)
        device->drift = -MAX_DRIFT;

    if (device->episode_left > 0) {
        device->episode_left--;
        if (device->episode_left == 0)
            device->episode = EPISODE_NONE;
    } else if (prng_chance(rng, EPISODE_CHANCE)) {
        device->episode_left = (uint32_t)prng_between(rng, 5, 30);
        if (prng_below(rng, 2) == 0) {
            device->episode = EPISODE_OVERHEAT;
            device->episode_level = uniform(rng, 31.5, 35.5);
        } else {
            device->episode = EPISODE_PRESSURE_DROP;
            device->episode_level = uniform(rng, 975.0, 985.0);
        }
    }
}

static void iot_next(void *opaque, struct prng *rng, bool delivered, struct event_record *record)
{
    struct iot *state = opaque;
    struct device *device = &state->devices[prng_below(rng, state->device_count)];
    double temperature, pressure, humidity;
    char device_id[32];
    int device_id_len;

    state->now_ms += prng_between(rng, 1, MAX_STEP_MS);
    advance_device(device, rng);

    /* Noise is at most 3.5 standard deviations (a sum of four uniforms),
     * which bounds every reading: see the thresholds above. */
    temperature = device->base_temperature + device->drift + prng_noise(rng) * 0.3;
    pressure = device->base_pressure + device->drift + prng_noise(rng) * 0.5;
    humidity = device->base_humidity + device->drift * 2.0 + prng_noise(rng);
    if (device->episode == EPISODE_OVERHEAT) {
        temperature = device->episode_level + prng_noise(rng) * 0.3;
        humidity -= 10.0;
    } else if (device->episode == EPISODE_PRESSURE_DROP) {
        pressure = device->episode_level + prng_noise(rng) * 0.5;
    }

    device_id_len = snprintf(device_id, sizeof(device_id), "dev-%04u", device->number);
    (void)delivered; /* readings stand alone */
    event_record_add_string(record, "device_id", device_id, (size_t)device_id_len);
    event_record_add_time(record, "ts", late_arrival_time(rng, state->now_ms),
                          device->epoch_time ? TIME_EPOCH_MS : TIME_ISO_UTC);
    event_record_add_decimal(record, "temperature", scaled_round(temperature, 100), 2);
    event_record_add_decimal(record, "pressure", scaled_round(pressure, 10), 1);
    event_record_add_decimal(record, "humidity", scaled_round(humidity, 10), 1);
    event_record_set_key(record, device_id, (size_t)device_id_len);
}

/* Every metric of the shipped pipeline is required, and must be a number. */
static const struct field_fault iot_faults[] = {
    FIELD_MISSING("device_id"),
    FIELD_MISSING("ts"),
    FIELD_MISSING("temperature"),
    FIELD_MISSING("pressure"),
    FIELD_MISSING("humidity"),
    /* A reading that measures nothing, as from a sensor that failed. */
    { MALFORMED_MISSING_FIELD, "temperature", { { "temperature", FIELD_REMOVE, NULL },
                                                { "pressure", FIELD_REMOVE, NULL },
                                                { "humidity", FIELD_REMOVE, NULL } } },
    FIELD_WRONG("device_id", "42"),
    FIELD_WRONG("device_id", "\"\""),
    FIELD_WRONG("device_id", "\"dev-\\u00001\""),
    FIELD_WRONG("ts", "\"not-a-time\""),
    FIELD_WRONG("ts", "\"2022-01-01T25:61:00Z\""),
    FIELD_WRONG("ts", "true"),
    FIELD_WRONG("ts", "-5"),
    FIELD_WRONG("ts", "253402300800000"),  /* 10000-01-01: past year 9999 */
    FIELD_WRONG("ts", "1640995200000000"), /* microseconds for milliseconds */
    /* Numbers sent as text, by firmware that formats everything. */
    { MALFORMED_WRONG_TYPE, "temperature", { { "temperature", FIELD_QUOTE, "\"21.5\"" } } },
    { MALFORMED_WRONG_TYPE, "pressure", { { "pressure", FIELD_QUOTE, "\"1013.2\"" } } },
    FIELD_WRONG("temperature", "true"),
    FIELD_WRONG("pressure", "null"),
    FIELD_WRONG("humidity", "\"high\""),
    FIELD_WRONG("humidity", "null"),
};

const struct event_profile iot_profile = {
    .name = "iot",
    .create = iot_create,
    .destroy = iot_destroy,
    .next = iot_next,
    .write_late = late_arrival_past_window,
    .faults = iot_faults,
    .fault_count = sizeof(iot_faults) / sizeof(iot_faults[0]),
};

/*
 * Edge-triggered alerts: per device and rule, whether the device is in
 * alert. A rule fires when a reading crosses its threshold while the
 * device is not in alert, and re-arms when a reading is back inside.
 * Kept for the life of the instance (devices are a bounded fleet).
 */
#ifndef IOT_TELEMETRY_ALERT_STATE_H
#define IOT_TELEMETRY_ALERT_STATE_H

#include <stddef.h>

#include <pipehost/key_table.h>

typedef struct alert_state {
    ph_key_table devices; /* device_id -> one byte per rule: in alert */
    size_t rule_count;
} alert_state;

/* 0, or -1 out of memory (alert_state_free is then still safe). */
int alert_state_init(alert_state *state, size_t rule_count);
void alert_state_free(alert_state *state);

/* The device's in-alert flags, one per rule, all clear for a new device;
 * NULL out of memory. Valid until the next call. */
unsigned char *alert_state_flags(alert_state *state, const char *device_id,
                                 size_t device_id_len);

#endif

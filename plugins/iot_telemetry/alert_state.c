/*
 * Per-device alert flags for edge-triggered rules.
 */
#include "alert_state.h"

int alert_state_init(alert_state *state, size_t rule_count)
{
    state->rule_count = rule_count;
    return ph_key_table_init(&state->devices, rule_count);
}

void alert_state_free(alert_state *state)
{
    ph_key_table_free(&state->devices);
}

unsigned char *alert_state_flags(alert_state *state, const char *device_id,
                                 size_t device_id_len)
{
    int64_t entry = ph_key_table_add(&state->devices, device_id, device_id_len, NULL);

    return entry >= 0 ? ph_key_table_value(&state->devices, (size_t)entry) : NULL;
}

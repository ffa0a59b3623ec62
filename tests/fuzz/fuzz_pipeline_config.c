/*
 * A whole pipeline file, as `pipehost validate` checks it: parse, ${VAR}
 * expansion (with variables set, empty, unset and secret), the pipeline's
 * keys, the plan (the shipped plugins found, loaded and their configs
 * checked against their schemas) and the Kafka properties through
 * librdkafka. Every refusal must be a FILE:... message that quotes no
 * secret.
 *
 * Plugins come from the shipped folder only: plugin_dirs is dropped before
 * the plan, so that no input can make the fuzzer dlopen an arbitrary
 * library of the machine.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_read.h"
#include "config/pipeline_config.h"
#include "kafka/kafka_conf.h"
#include "runtime/pipeline_plan.h"
#include "services/secret_redact.h"

#define FILE_NAME "fuzz.yaml"
#define SECRET_VALUE "Fz9-not-to-be-printed"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("PIPEHOST_SHIPPED_PLUGIN_DIR", SHIPPED_PLUGIN_DIR, 1);
    unsetenv("PIPEHOST_PLUGIN_PATH");
    unsetenv("PIPEHOST_ALLOW_INSECURE_PLUGINS");
    setenv("FUZZ_SET", "clicks", 1);
    setenv("FUZZ_NUMBER", "4", 1);
    setenv("FUZZ_EMPTY", "", 1);
    setenv("FUZZ_SECRET", SECRET_VALUE, 1);
    unsetenv("FUZZ_UNSET");
    return 0;
}

/* Whether the fuzzer's secret was marked secret by this input: then no
 * message may contain it. */
static int secret_is_registered(void)
{
    char probe[] = SECRET_VALUE;

    secret_redact(probe, sizeof(probe));
    return strcmp(probe, SECRET_VALUE) != 0;
}

static void check_message(const config_error *err)
{
    if (strncmp(err->text, FILE_NAME ":", strlen(FILE_NAME ":")) != 0) {
        fprintf(stderr, "message without the file name: %s\n", err->text);
        abort();
    }
    if (secret_is_registered() && strstr(err->text, SECRET_VALUE) != NULL) {
        fprintf(stderr, "message quotes a secret: %s\n", err->text);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    config_error err;
    pipeline_config *config;
    pipeline_plan *plan;

    memset(&err, 0, sizeof(err));
    secret_forget_all();
    config = pipeline_config_load_text((const char *)data, size, FILE_NAME, &err);
    if (config == NULL) {
        check_message(&err);
        return 0;
    }
    config_free_strings(config->plugin_dirs, config->plugin_dir_count);
    config->plugin_dirs = NULL;
    config->plugin_dir_count = 0;
    if ((plan = pipeline_plan_build(config, &err)) == NULL || kafka_conf_check(config, &err) != 0)
        check_message(&err);
    pipeline_plan_free(plan);
    pipeline_config_free(config);
    return 0;
}

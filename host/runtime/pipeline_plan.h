/*
 * A pipeline's plan: its plugins loaded (each once, however many stages
 * use it) and every stage's configuration checked against its plugin's
 * schema. Building the plan is what `validate` does beyond the YAML, and
 * what `run` does before it connects to Kafka.
 */
#ifndef PIPEHOST_RUNTIME_PIPELINE_PLAN_H
#define PIPEHOST_RUNTIME_PIPELINE_PLAN_H

#include <stddef.h>

#include "config/pipeline_config.h"
#include "plugin/plugin_loader.h"
#include "runtime/task.h"

typedef struct pipeline_plan {
    loaded_plugin **plugins;
    size_t plugin_count;
    stage_plan *processors;
    size_t processor_count;
    stage_plan *sinks; /* sink plugins, in the order of `sinks:` */
    size_t sink_count;
} pipeline_plan;

/* Load and check. Errors are FILE:LINE:COL of the stage at fault. */
pipeline_plan *pipeline_plan_build(const pipeline_config *config, config_error *err);

void pipeline_plan_free(pipeline_plan *plan);

#endif

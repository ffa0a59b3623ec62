/*
 * Reading and checking a pipeline file completely, the way `validate`
 * does: the YAML and ${VAR} references, every plugin (found, loaded, ABI
 * checked) with its config against the plugin's schema, and the Kafka
 * properties. `run` and `validate` use it, and so does a running
 * pipeline's hot reload, which must refuse a bad edit before it touches
 * anything.
 */
#ifndef PIPEHOST_CLI_PIPELINE_LOADING_H
#define PIPEHOST_CLI_PIPELINE_LOADING_H

#include "config/pipeline_config.h"
#include "runtime/pipeline_plan.h"

/* 0 with *config and *plan set (free with pipeline_plan_free first, then
 * pipeline_config_free), or -1 with err: FILE:LINE:COL: message. */
int pipeline_load_checked(const char *path, pipeline_config **config, pipeline_plan **plan,
                          config_error *err);

#endif

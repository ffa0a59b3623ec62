#include "runtime/pipeline_plan.h"

#include <stdlib.h>
#include <string.h>

#include "plugin/plugin_search.h"

static loaded_plugin *find_loaded(pipeline_plan *plan, const char *name)
{
    for (size_t i = 0; i < plan->plugin_count; i++) {
        if (strcmp(plan->plugins[i]->name, name) == 0)
            return plan->plugins[i];
    }
    return NULL;
}

static const char *kind_name(ph_plugin_kind kind)
{
    return kind == PH_KIND_SINK ? "sink" : "processor";
}

/* Load stage's plugin (once per name) and build its configuration. */
static int plan_stage(pipeline_plan *plan, const plugin_search_path *search,
                      int allow_insecure, const stage_config *stage_cfg, ph_plugin_kind want,
                      stage_plan *out, config_error *err)
{
    loaded_plugin *plugin = find_loaded(plan, stage_cfg->plugin);
    if (!plugin) {
        char *path = plugin_search_find(search, stage_cfg->plugin);
        if (!path) {
            config_error_set(err, &stage_cfg->plugin_mark,
                             "plugin '%s' not found (looked in plugin_dirs, "
                             "PIPEHOST_PLUGIN_PATH and the shipped plugins)",
                             stage_cfg->plugin);
            return -1;
        }
        char reason[1024];
        plugin_load_options options = {.allow_insecure = allow_insecure};
        plugin = plugin_load_checked(path, &options, reason, sizeof(reason));
        free(path);
        if (!plugin) {
            config_error_set(err, &stage_cfg->plugin_mark, "%s", reason);
            return -1;
        }
        loaded_plugin **plugins =
            realloc(plan->plugins, (plan->plugin_count + 1) * sizeof(*plugins));
        if (!plugins) {
            plugin_unload(plugin);
            config_error_set(err, &stage_cfg->plugin_mark, "out of memory");
            return -1;
        }
        plan->plugins = plugins;
        plan->plugins[plan->plugin_count++] = plugin;
    }
    const ph_descriptor *d = plugin->descriptor;
    if (d->kind != want) {
        config_error_set(err, &stage_cfg->plugin_mark, "plugin '%s' is a %s, not a %s",
                         stage_cfg->plugin, kind_name(d->kind), kind_name(want));
        return -1;
    }
    json_t *config = plugin_config_build(stage_cfg, d, err);
    if (!config)
        return -1;
    *out = (stage_plan){.name = stage_cfg->name, .plugin = d, .config = config};
    return 0;
}

pipeline_plan *pipeline_plan_build(const pipeline_config *config, config_error *err)
{
    pipeline_plan *plan = calloc(1, sizeof(*plan));
    if (!plan) {
        snprintf(err->text, sizeof(err->text), "out of memory");
        return NULL;
    }
    plugin_search_path search;
    char reason[512];
    if (plugin_search_path_init(&search, (const char *const *)config->plugin_dirs,
                                config->plugin_dir_count, config->base_dir, reason,
                                sizeof(reason)) != 0) {
        snprintf(err->text, sizeof(err->text), "%s: %s", config->file, reason);
        free(plan);
        return NULL;
    }
    size_t sink_plugins = 0;
    for (size_t i = 0; i < config->sink_count; i++)
        sink_plugins += config->sinks[i].type == SINK_PLUGIN;
    plan->processors = calloc(config->processor_count + 1, sizeof(*plan->processors));
    plan->sinks = calloc(sink_plugins + 1, sizeof(*plan->sinks));
    if (!plan->processors || !plan->sinks) {
        snprintf(err->text, sizeof(err->text), "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < config->processor_count; i++) {
        if (plan_stage(plan, &search, config->allow_insecure_plugins,
                       &config->processors[i], PH_KIND_PROCESSOR,
                       &plan->processors[i], err) != 0)
            goto fail;
        plan->processor_count = i + 1;
    }
    for (size_t i = 0; i < config->sink_count; i++) {
        if (config->sinks[i].type != SINK_PLUGIN)
            continue;
        if (plan_stage(plan, &search, config->allow_insecure_plugins, &config->sinks[i].stage,
                       PH_KIND_SINK,
                       &plan->sinks[plan->sink_count], err) != 0)
            goto fail;
        plan->sink_count++;
    }
    plugin_search_path_free(&search);
    return plan;
fail:
    plugin_search_path_free(&search);
    pipeline_plan_free(plan);
    return NULL;
}

void pipeline_plan_free(pipeline_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->processor_count; i++)
        json_decref(plan->processors[i].config);
    for (size_t i = 0; i < plan->sink_count; i++)
        json_decref(plan->sinks[i].config);
    free(plan->processors);
    free(plan->sinks);
    for (size_t i = 0; i < plan->plugin_count; i++)
        plugin_unload(plan->plugins[i]);
    free(plan->plugins);
    free(plan);
}

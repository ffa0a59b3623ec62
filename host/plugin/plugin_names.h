/*
 * The words users see for the ABI's enumerations, in `pipehost plugins`
 * and in configuration errors. A value with no name here is one this
 * host does not know, which is how the loader tells an unknown kind or
 * config type.
 */
#ifndef PIPEHOST_PLUGIN_PLUGIN_NAMES_H
#define PIPEHOST_PLUGIN_PLUGIN_NAMES_H

#include "pipehost/plugin.h"

/* "processor", "sink", or NULL for a kind this host does not know. */
const char *plugin_kind_name(int kind);

/* "string", "int", "float", "bool", "duration", "string list", "list",
 * "map", or NULL for a type this host does not know. */
const char *plugin_config_type_name(int type);

#endif

#include "plugin/plugin_names.h"

/* The arguments are plain ints: the values come from a plugin's
 * descriptor and may lie outside the enumerations. */

const char *plugin_kind_name(int kind)
{
    switch (kind) {
    case PH_KIND_PROCESSOR:
        return "processor";
    case PH_KIND_SINK:
        return "sink";
    default:
        return NULL;
    }
}

const char *plugin_config_type_name(int type)
{
    switch (type) {
    case PH_CONFIG_STRING:
        return "string";
    case PH_CONFIG_INT:
        return "int";
    case PH_CONFIG_FLOAT:
        return "float";
    case PH_CONFIG_BOOL:
        return "bool";
    case PH_CONFIG_DURATION:
        return "duration";
    case PH_CONFIG_STRING_LIST:
        return "string list";
    case PH_CONFIG_LIST:
        return "list";
    case PH_CONFIG_MAP:
        return "map";
    default:
        return NULL;
    }
}

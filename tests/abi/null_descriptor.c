/* ph_plugin_descriptor() returns NULL. */
#include "passthrough.h"

const ph_descriptor *ph_plugin_descriptor(void)
{
    return NULL;
}

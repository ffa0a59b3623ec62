#include "config/config_secrets.h"

#include "services/secret_redact.h"

/* Every scalar under a sensitive key, however deep (a list of keys, a
 * mapping of them). */
static int register_all_scalars(const yaml_node *node)
{
    if (node->kind == YAML_TREE_SCALAR)
        return secret_register(node->text);
    for (size_t i = 0; i < node->count; i++) {
        const yaml_node *child = node->kind == YAML_TREE_MAPPING ? node->pairs[i].value
                                                                 : node->items[i];
        if (register_all_scalars(child) != 0)
            return -1;
    }
    return 0;
}

int config_register_secrets(const yaml_tree *tree, config_error *err)
{
    /* Every node once, in file order: keys of mappings and scalar values. */
    for (const yaml_node *node = tree->nodes; node != NULL; node = node->next_in_tree) {
        int rc = 0;
        if (node->kind == YAML_TREE_MAPPING) {
            for (size_t i = 0; i < node->count && rc == 0; i++) {
                if (secret_key_is_sensitive(node->pairs[i].key->text))
                    rc = register_all_scalars(node->pairs[i].value);
            }
        } else if (node->kind == YAML_TREE_SCALAR && !node->is_key) {
            rc = secret_register_embedded(node->text);
        }
        if (rc != 0) {
            config_error_set_file(err, tree->file, "out of memory");
            return -1;
        }
    }
    return 0;
}

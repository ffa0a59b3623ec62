/*
 * Environment references in pipeline files.
 *
 *   ${NAME}           the variable's value; an error when it is not set
 *   ${NAME:-default}  the value, or default when unset or empty (as in sh);
 *                     the default is literal text up to the first '}'
 *   ${secret:NAME}    the same, and the value is a secret: no log line,
 *                     error or output of pipehost prints it (also with
 *                     a default, ${secret:NAME:-default})
 *   $$                a literal '$'
 *
 * A '$' followed by anything else is itself. NAME is letters, digits and
 * '_', not starting with a digit.
 */
#ifndef PIPEHOST_CONFIG_ENV_EXPAND_H
#define PIPEHOST_CONFIG_ENV_EXPAND_H

#include "config/config_error.h"
#include "config/yaml_tree.h"

/* Expand text, written at mark. Returns a new string, or NULL with err
 * filled. */
char *env_expand(const char *text, const config_mark *mark, config_error *err);

/* Expand every scalar of tree except mapping keys, in place. Expansion
 * comes before any type check: a plain `${WORKERS:-2}` becomes the
 * integer 2. Returns 0, or -1 with err filled. */
int yaml_tree_expand_env(yaml_tree *tree, config_error *err);

#endif

/*
 * Finding the secrets a pipeline file holds, so that no message prints
 * them (services/secret_redact.h). A value is a secret when
 *   - it comes from ${secret:NAME} or ${secret:NAME:-default} (env_expand.h),
 *   - it is the value of a key that names a secret, anywhere in the file:
 *     sasl.password, ssl.key.password, ssl.key.pem, sasl.oauthbearer.config,
 *     a plugin's `password:`... (secret_key_is_sensitive()),
 *   - it is the password inside a value: password=... of a libpq conninfo,
 *     or user:PASSWORD@ of a URI.
 */
#ifndef PIPEHOST_CONFIG_CONFIG_SECRETS_H
#define PIPEHOST_CONFIG_CONFIG_SECRETS_H

#include "config/config_error.h"
#include "config/yaml_tree.h"

/* Register the secrets of an expanded tree, before any check can print a
 * value. 0, or -1 (out of memory) with err filled. */
int config_register_secrets(const yaml_tree *tree, config_error *err);

#endif

/*
 * secret.h - where a secret comes from: a systemd credential, else the
 * environment.
 *
 * The config names each secret by a variable (SLACK_BOT_TOKEN, ...). Under
 * systemd, LoadCredential=NAME:/path puts it in $CREDENTIALS_DIRECTORY/NAME,
 * readable by the service alone and never in its environment; that file
 * wins. Otherwise the environment variable of that name (EnvironmentFile=,
 * or exported by hand). Secrets are never logged.
 */
#ifndef SCRIBE_SECRET_H
#define SCRIBE_SECRET_H

#include "base.h"

/* The value of secret name (trailing newlines removed), owned by the
 * caller; NULL when neither a credential nor the variable holds one. */
char *secret_get(const char *name);

#endif

/*
 * aws: secrets from AWS Secrets Manager for `aws:secretsmanager:<id>:<key>`
 * references. GetSecretValue signed with libcurl's SigV4; credentials from
 * the standard chain in the SDKs' order (environment, web identity,
 * shared files, container, EC2 IMDSv2), temporary ones cached and
 * refreshed before they expire. Blocking: called from the main thread at
 * start-up and on reload only.
 */
#ifndef GHPOOL_AWS_H
#define GHPOOL_AWS_H

#include <stddef.h>

/*
 * The string under json_key in the secret's SecretString (a JSON object).
 * envp is the environment to read (AWS_REGION, AWS_ENDPOINT_URL, ...).
 * Returns a malloc'd value, or NULL with the reason in err; the reason
 * never contains a secret or a credential.
 */
char *aws_secret_resolve(const char *secret_id, const char *json_key,
    char *const *envp, long timeout_secs, char *err, size_t errlen);

/* Forgets cached credentials (wiping them). */
void aws_cleanup(void);

#endif

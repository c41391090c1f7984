/*
 * gcp: secrets from Google Secret Manager for
 * `gcp:secretmanager:projects/<p>/secrets/<s>/versions/<v>` references.
 * Application Default Credentials: a service-account key file
 * (GOOGLE_APPLICATION_CREDENTIALS, an RS256 JWT exchanged for an access
 * token) or else the metadata server (GKE Workload Identity, GCE); the
 * token is cached until shortly before it expires. Blocking: called from
 * the main thread at start-up and on reload only.
 *
 * Environment: GCE_METADATA_HOST (host[:port]) replaces
 * metadata.google.internal; GHPOOL_GCP_SECRETMANAGER_URL replaces
 * https://secretmanager.googleapis.com (for tests against a fake).
 */
#ifndef GHPOOL_GCP_H
#define GHPOOL_GCP_H

#include <stddef.h>

/*
 * The payload of the secret version named by resource
 * ("projects/<p>/secrets/<s>/versions/<v>"; also the short forms
 * "projects/<p>/secrets/<s>:<v>" and "projects/<p>/secrets/<s>", the
 * latest version), base64-decoded and checked against its CRC32C, one
 * trailing newline trimmed. Returns a malloc'd NUL-terminated value, or
 * NULL with the reason in err (never a secret or a token).
 */
char *gcp_secret_resolve(const char *resource, char *const *envp,
    long timeout_secs, char *err, size_t errlen);

/* Forgets the cached access token (wiping it). */
void gcp_cleanup(void);

#endif

/*
 * secret: what a token reference in the configuration stands for. Knows
 * the reference forms and resolves them: a literal, `env:VAR`,
 * `k8s:<namespace>/<secret>:<key>` (a file of a mounted Kubernetes secret),
 * `aws:secretsmanager:<id>:<json-key>` and
 * `gcp:secretmanager:projects/<p>/secrets/<s>/versions/<v>`. Errors name
 * the reference and the reason, never the value.
 */
#ifndef GHPOOL_SECRET_H
#define GHPOOL_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define SECRET_K8S_DIR "/etc/secrets"

struct secret_opts {
	char *const *envp;
	const char *k8s_dir;     /* where Kubernetes secrets are mounted */
	long timeout_secs;       /* for the cloud secret managers */
};

/* "literal", "env", "k8s", "aws" or "gcp". */
const char *secret_kind(const char *ref);

/* NULL if ref is well formed, else what is wrong with it. No I/O. */
const char *secret_ref_invalid(const char *ref);

/* The value (malloc'd; wipe before freeing), or NULL with the reason. */
char *secret_resolve(const char *ref, const struct secret_opts *o, char *err, size_t errlen);

/* The same for a multi-line secret, such as a PEM private key: only an
 * empty value is refused. */
char *secret_resolve_text(const char *ref, const struct secret_opts *o, char *err, size_t errlen);

/* Tokens go into an HTTP header: no whitespace, no control bytes. */
bool secret_clean(const char *value);

/* Wipes and frees a resolved value. */
void secret_free(char *value);

#endif

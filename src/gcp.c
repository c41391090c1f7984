/*
 * gcp.c - placeholder until the GCP resolver lands.
 */
#include "gcp.h"

#include <stdio.h>

char *
gcp_secret_resolve(const char *resource, char *const *envp,
    long timeout_secs, char *err, size_t errlen)
{
	(void)resource; (void)envp; (void)timeout_secs;
	snprintf(err, errlen, "GCP Secret Manager is not supported by this build");
	return NULL;
}

void
gcp_cleanup(void)
{
}

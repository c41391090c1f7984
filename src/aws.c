/*
 * aws.c - placeholder until the AWS resolver lands.
 */
#include "aws.h"

#include <stdio.h>

char *
aws_secret_resolve(const char *secret_id, const char *json_key,
    char *const *envp, long timeout_secs, char *err, size_t errlen)
{
	(void)secret_id; (void)json_key; (void)envp; (void)timeout_secs;
	snprintf(err, errlen, "AWS Secrets Manager is not supported by this build");
	return NULL;
}

void
aws_cleanup(void)
{
}

/*
 * jwt.c - placeholder until RS256 signing lands.
 */
#include "jwt.h"

#include <stdio.h>

char *
jwt_sign_rs256(const char *pem, const char *kid, json_t *claims, char *err, size_t errlen)
{
	(void)pem; (void)kid; (void)claims;
	snprintf(err, errlen, "JWT signing is not supported by this build");
	return NULL;
}

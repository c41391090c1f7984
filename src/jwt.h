/*
 * jwt: RS256-signed JSON Web Tokens (OpenSSL), for Google service accounts
 * and GitHub App authentication.
 */
#ifndef GHPOOL_JWT_H
#define GHPOOL_JWT_H

#include <jansson.h>
#include <stddef.h>

/*
 * header {"alg":"RS256","typ":"JWT"[,"kid":kid]} . claims, signed with the
 * RSA private key in pem (PKCS#1 or PKCS#8). Returns a malloc'd token, or
 * NULL with the reason in err (never key material).
 */
char *jwt_sign_rs256(const char *pem, const char *kid, json_t *claims,
    char *err, size_t errlen);

#endif

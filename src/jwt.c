/*
 * jwt.c - owns RS256 JSON Web Token signing (RFC 7515/7519): the compact
 * header and claims, base64url without padding, and the RSASSA-PKCS1-v1_5
 * SHA-256 signature made with OpenSSL 3's EVP interface.
 *
 * Error texts name what is wrong with the key (not PEM, encrypted, not
 * RSA) and never quote any of it: OpenSSL's reason strings are fixed texts,
 * so they are safe to pass on.
 */
#include "jwt.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 7515 §2: base64url, '=' padding omitted. Writes 4*ceil(n/3) bytes at most. */
static size_t
jwt_b64url(const unsigned char *in, size_t n, char *out)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i = 0;

	for (; i + 3 <= n; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = abc[(v >> 6) & 63];
		out[o++] = abc[v & 63];
	}
	if (n - i == 1) {
		unsigned long v = (unsigned long)in[i] << 16;
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
	} else if (n - i == 2) {
		unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = abc[(v >> 6) & 63];
	}
	return o;
}

static size_t
jwt_b64url_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/*
 * Never prompt: with a NULL callback OpenSSL would ask for a passphrase on
 * the terminal when handed an encrypted key.
 */
static int
jwt_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag;
	*(int *)u = 1;
	return -1;
}

/* The fixed text of OpenSSL's newest queued error, and the queue emptied. */
static const char *
jwt_ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : "unknown error";
}

/* The key in pem if it is an RSA private key, else NULL with the reason. */
static EVP_PKEY *
jwt_read_key(const char *pem, char *err, size_t errlen)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int asked = 0;

	if (pem == NULL || *pem == '\0') {
		snprintf(err, errlen, "no private key");
		goto done;
	}
	ERR_clear_error();
	/* A read-only memory BIO points at pem: no copy of the key to wipe. */
	bio = BIO_new_mem_buf(pem, -1);
	if (bio == NULL) {
		snprintf(err, errlen, "out of memory reading the private key");
		goto done;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, jwt_no_passphrase, &asked);
	if (pkey == NULL) {
		const char *why = jwt_ssl_reason();
		if (asked)
			snprintf(err, errlen, "the private key is encrypted (a passphrase is not supported)");
		else
			snprintf(err, errlen, "cannot read the private key: not a PEM RSA private key "
			    "(BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY): %s", why);
		goto done;
	}
	/* RSA-PSS keys are refused too: RS256 is PKCS#1 v1.5 padding. */
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		const char *type = EVP_PKEY_get0_type_name(pkey);
		snprintf(err, errlen, "the private key is %s, not RSA: RS256 needs an RSA key",
		    type ? type : "of another type");
		EVP_PKEY_free(pkey);
		pkey = NULL;
		goto done;
	}
done:
	BIO_free(bio);
	ERR_clear_error();
	return pkey;
}

char *
jwt_sign_rs256(const char *pem, const char *kid, json_t *claims, char *err, size_t errlen)
{
	json_t *header = NULL;
	char *hjson = NULL, *cjson = NULL, *out = NULL, *tok = NULL;
	unsigned char *sig = NULL;
	size_t hlen, clen, siglen = 0, signed_len, total = 0;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;

	if (!json_is_object(claims)) {
		snprintf(err, errlen, "JWT claims must be a JSON object");
		goto done;
	}
	/* jansson keeps insertion order: the header reads alg, typ, kid. */
	header = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	if (header == NULL || (kid != NULL &&
	    json_object_set_new(header, "kid", json_string(kid)) != 0)) {
		snprintf(err, errlen, "cannot build the JWT header (kid not UTF-8?)");
		goto done;
	}
	hjson = json_dumps(header, JSON_COMPACT);
	cjson = json_dumps(claims, JSON_COMPACT);
	if (hjson == NULL || cjson == NULL) {
		snprintf(err, errlen, "cannot encode the JWT claims");
		goto done;
	}
	if ((pkey = jwt_read_key(pem, err, errlen)) == NULL)
		goto done;

	hlen = strlen(hjson);
	clen = strlen(cjson);
	/* header.claims.signature; the signature is at most the modulus size. */
	total = jwt_b64url_len(hlen) + 1 + jwt_b64url_len(clen) + 1 +
	    jwt_b64url_len((size_t)EVP_PKEY_get_size(pkey)) + 1;
	tok = malloc(total);
	if (tok == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	signed_len = jwt_b64url((const unsigned char *)hjson, hlen, tok);
	tok[signed_len++] = '.';
	signed_len += jwt_b64url((const unsigned char *)cjson, clen, tok + signed_len);

	md = EVP_MD_CTX_new();
	if (md == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)tok, signed_len) != 1 ||
	    (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)tok, signed_len) != 1) {
		snprintf(err, errlen, "RS256 signing failed: %s", jwt_ssl_reason());
		goto done;
	}
	tok[signed_len] = '.';
	total = signed_len + 1 + jwt_b64url(sig, siglen, tok + signed_len + 1);
	tok[total] = '\0';
	out = tok;
	tok = NULL;
done:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	/* The signature completes a bearer assertion: wipe it with the token. */
	if (sig != NULL)
		explicit_bzero(sig, siglen);
	free(sig);
	if (tok != NULL)
		explicit_bzero(tok, total);
	free(tok);
	free(hjson);
	free(cjson);
	json_decref(header);
	ERR_clear_error();
	return out;
}

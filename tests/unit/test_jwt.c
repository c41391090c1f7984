/*
 * test_jwt.c - unit tests of src/jwt.c: RS256 tokens checked independently
 * (our own strict base64url decoder, OpenSSL's verify API, OpenSSL's base64
 * encoder as a second opinion) and the refusals: bad PEM, encrypted keys,
 * non-RSA keys, claims that are not an object.
 *
 * Keys are generated in the test with OpenSSL's API; nothing touches disk.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"
#include "leakcheck.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

/* The key's PEM: PKCS#8 ("BEGIN PRIVATE KEY") or, traditional, PKCS#1. */
static char *
key_pem(EVP_PKEY *k, bool traditional)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	cr_assert_not_null(bio);
	if (traditional)
		cr_assert_eq(PEM_write_bio_PrivateKey_traditional(bio, k, NULL, NULL, 0, NULL, NULL), 1);
	else
		cr_assert_eq(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	out = strndup(data, (size_t)n);
	BIO_free(bio);
	return out;
}

static EVP_PKEY *
rsa_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	cr_assert_not_null(k, "RSA keygen");
	return k;
}

/* The public half only, through PEM: the verifier shares nothing with the signer. */
static EVP_PKEY *
public_of(EVP_PKEY *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	EVP_PKEY *pub;

	cr_assert_eq(PEM_write_bio_PUBKEY(bio, k), 1);
	pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	cr_assert_not_null(pub);
	BIO_free(bio);
	return pub;
}

static int
b64url_digit(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Strict JWS base64url: the alphabet, no padding, no impossible length. */
static unsigned char *
b64url_decode(const char *s, size_t n, size_t *outlen)
{
	unsigned char *out = malloc(n + 1);
	unsigned long acc = 0;
	size_t o = 0;
	int bits = 0;

	cr_assert_not_null(out);
	cr_assert_neq(n % 4, 1, "impossible base64url length %zu", n);
	for (size_t i = 0; i < n; i++) {
		int d = b64url_digit(s[i]);
		cr_assert_geq(d, 0, "character '%c' is not base64url", s[i]);
		acc = (acc << 6) | (unsigned long)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* The unused low bits must be zero, or the encoding is not canonical. */
	cr_assert_eq(acc & ((1ul << bits) - 1), 0, "non-canonical trailing bits");
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* OpenSSL's standard base64, made url-safe: a second opinion on our encoder. */
static char *
b64url_reference(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	int len;

	cr_assert_not_null(out);
	len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (int i = 0; i < len; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return out;
}

struct parts {
	char *seg[3];           /* the three segments as they are */
	unsigned char *dec[3];  /* decoded */
	size_t dec_len[3];
};

static void
split(const char *jwt, struct parts *p)
{
	const char *a = strchr(jwt, '.'), *b = a ? strchr(a + 1, '.') : NULL;

	cr_assert_not_null(a, "no first dot in %s", jwt);
	cr_assert_not_null(b, "no second dot in %s", jwt);
	cr_assert_null(strchr(b + 1, '.'), "more than two dots");
	cr_assert_null(strchr(jwt, '='), "padding in %s", jwt);
	p->seg[0] = strndup(jwt, (size_t)(a - jwt));
	p->seg[1] = strndup(a + 1, (size_t)(b - a - 1));
	p->seg[2] = strdup(b + 1);
	for (int i = 0; i < 3; i++)
		p->dec[i] = b64url_decode(p->seg[i], strlen(p->seg[i]), &p->dec_len[i]);
}

static void
parts_free(struct parts *p)
{
	for (int i = 0; i < 3; i++) {
		free(p->seg[i]);
		free(p->dec[i]);
	}
}

/* RS256 = RSASSA-PKCS1-v1_5 with SHA-256 over "header.claims". */
static bool
verify(EVP_PKEY *pub, const char *jwt, const struct parts *p)
{
	size_t signed_len = strlen(p->seg[0]) + 1 + strlen(p->seg[1]);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	cr_assert_not_null(md);
	cr_assert_eq(EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pub), 1);
	cr_assert_eq(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), 1);
	ok = EVP_DigestVerify(md, p->dec[2], p->dec_len[2], (const unsigned char *)jwt, signed_len);
	EVP_MD_CTX_free(md);
	return ok == 1;
}

static json_t *
sample_claims(void)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:I}",
	    "iss", "sa@ghpool-test.iam.gserviceaccount.com",
	    "scope", "https://www.googleapis.com/auth/cloud-platform",
	    "aud", "https://oauth2.googleapis.com/token",
	    "iat", (json_int_t)1700000000, "exp", (json_int_t)1700003600);
}

/* Signs with pem and expects a refusal whose text contains want. */
static void
expect_refusal(const char *pem, const char *want)
{
	char err[256] = "";
	json_t *c = sample_claims();
	char *jwt = jwt_sign_rs256(pem, "k", c, err, sizeof(err));

	cr_assert_null(jwt, "signed with a key that should be refused");
	cr_assert_neq(err[0], '\0', "no reason given");
	cr_assert_not_null(strstr(err, want), "reason '%s' lacks '%s'", err, want);
	/* Never a line of the key in the message. */
	if (pem != NULL && strlen(pem) > 100)
		cr_assert_null(strstr(err, "MII"), "key material in '%s'", err);
	json_decref(c);
}

/* ------------------------------------------------------------------------
 * Tests
 * ---------------------------------------------------------------------- */

Test(jwt, signs_pkcs8_and_verifies_with_openssl)
{
	EVP_PKEY *k = rsa_key(), *pub = public_of(k);
	char *pem = key_pem(k, false), err[256] = "", *jwt, *want;
	json_t *c = sample_claims();
	struct parts p;

	cr_assert_not_null(strstr(pem, "BEGIN PRIVATE KEY"));
	jwt = jwt_sign_rs256(pem, "0123abcd", c, err, sizeof(err));
	cr_assert_not_null(jwt, "%s", err);
	split(jwt, &p);

	cr_assert_eq(p.dec_len[0], strlen("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"0123abcd\"}"));
	cr_assert_str_eq((char *)p.dec[0], "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"0123abcd\"}");
	want = json_dumps(c, JSON_COMPACT);
	cr_assert_str_eq((char *)p.dec[1], want);
	free(want);
	cr_assert_eq(p.dec_len[2], 256, "a 2048-bit key signs 256 bytes, not %zu", p.dec_len[2]);
	cr_assert(verify(pub, jwt, &p), "OpenSSL does not verify the signature");

	/* A changed claim no longer verifies. */
	p.seg[1][3] = p.seg[1][3] == 'A' ? 'B' : 'A';
	{
		char *forged = malloc(strlen(jwt) + 1);
		sprintf(forged, "%s.%s.%s", p.seg[0], p.seg[1], p.seg[2]);
		cr_assert_not(verify(pub, forged, &p), "a forged token verified");
		free(forged);
	}
	parts_free(&p);
	free(jwt);
	free(pem);
	json_decref(c);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

Test(jwt, signs_pkcs1_key)
{
	EVP_PKEY *k = rsa_key(), *pub = public_of(k);
	char *pem = key_pem(k, true), err[256] = "", *jwt;
	json_t *c = sample_claims();
	struct parts p;

	cr_assert_not_null(strstr(pem, "BEGIN RSA PRIVATE KEY"), "%.40s", pem);
	jwt = jwt_sign_rs256(pem, "kid-1", c, err, sizeof(err));
	cr_assert_not_null(jwt, "%s", err);
	split(jwt, &p);
	cr_assert(verify(pub, jwt, &p));
	parts_free(&p);
	free(jwt);
	free(pem);
	json_decref(c);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

Test(jwt, same_key_same_claims_same_token)
{
	/* PKCS#1 v1.5 signatures are deterministic; PSS would differ each time. */
	EVP_PKEY *k = rsa_key();
	char *pem = key_pem(k, false), err[256] = "", *a, *b;
	json_t *c = sample_claims();

	a = jwt_sign_rs256(pem, NULL, c, err, sizeof(err));
	b = jwt_sign_rs256(pem, NULL, c, err, sizeof(err));
	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	free(pem);
	json_decref(c);
	EVP_PKEY_free(k);
}

Test(jwt, kid_absent_and_escaped)
{
	EVP_PKEY *k = rsa_key(), *pub = public_of(k);
	char *pem = key_pem(k, false), err[256] = "", *jwt;
	json_t *c = sample_claims(), *h;
	struct parts p;

	jwt = jwt_sign_rs256(pem, NULL, c, err, sizeof(err));
	cr_assert_not_null(jwt, "%s", err);
	split(jwt, &p);
	cr_assert_str_eq((char *)p.dec[0], "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
	cr_assert_str_eq(p.seg[0], "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9");
	cr_assert(verify(pub, jwt, &p));
	parts_free(&p);
	free(jwt);

	/* A kid is data, not JSON text: quotes and backslashes are escaped. */
	jwt = jwt_sign_rs256(pem, "a\"b\\c", c, err, sizeof(err));
	cr_assert_not_null(jwt, "%s", err);
	split(jwt, &p);
	h = json_loads((char *)p.dec[0], 0, NULL);
	cr_assert_not_null(h, "header is not JSON: %s", (char *)p.dec[0]);
	cr_assert_str_eq(json_string_value(json_object_get(h, "kid")), "a\"b\\c");
	cr_assert_eq(json_object_size(h), 3);
	json_decref(h);
	cr_assert(verify(pub, jwt, &p));
	parts_free(&p);
	free(jwt);

	free(pem);
	json_decref(c);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

Test(jwt, base64url_every_length_matches_openssl)
{
	/* Claim lengths covering every n % 3, and bytes that map to '-' and '_'. */
	EVP_PKEY *k = rsa_key(), *pub = public_of(k);
	char *pem = key_pem(k, false), err[256] = "";
	bool saw_dash = false, saw_underscore = false;

	for (int n = 0; n < 12; n++) {
		char val[32];
		json_t *c;
		char *jwt, *cj, *ref;
		struct parts p;

		memset(val, 0, sizeof(val));
		for (int i = 0; i < n; i++)
			val[i] = "?>~\x7f?"[i % 5];
		c = json_pack("{s:s, s:i}", "v", val, "n", n);
		jwt = jwt_sign_rs256(pem, "k", c, err, sizeof(err));
		cr_assert_not_null(jwt, "%s", err);
		for (const char *q = jwt; *q; q++)
			cr_assert(b64url_digit(*q) >= 0 || *q == '.', "'%c' in %s", *q, jwt);
		saw_dash |= strchr(jwt, '-') != NULL;
		saw_underscore |= strchr(jwt, '_') != NULL;
		split(jwt, &p);
		cj = json_dumps(c, JSON_COMPACT);
		ref = b64url_reference((unsigned char *)cj, strlen(cj));
		cr_assert_str_eq(p.seg[1], ref);
		ref = (free(ref), b64url_reference(p.dec[2], p.dec_len[2]));
		cr_assert_str_eq(p.seg[2], ref);
		cr_assert(verify(pub, jwt, &p));
		free(ref);
		free(cj);
		parts_free(&p);
		free(jwt);
		json_decref(c);
	}
	cr_assert(saw_dash && saw_underscore, "the url-safe characters were never exercised");
	free(pem);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

Test(jwt, refuses_bad_pem)
{
	EVP_PKEY *k = rsa_key();
	char *pem = key_pem(k, false), *cut;

	expect_refusal("not a key at all", "PEM");
	expect_refusal("", "no private key");
	expect_refusal(NULL, "no private key");
	expect_refusal("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", "PEM");

	/* Cut in the middle: the base64 is there but the DER is truncated. */
	cut = strdup(pem);
	strcpy(cut + strlen(cut) / 2, "\n-----END PRIVATE KEY-----\n");
	expect_refusal(cut, "PEM");
	free(cut);

	/* A public key is not a private key. */
	{
		BIO *bio = BIO_new(BIO_s_mem());
		char *data, *pubpem;
		long n;

		cr_assert_eq(PEM_write_bio_PUBKEY(bio, k), 1);
		n = BIO_get_mem_data(bio, &data);
		pubpem = strndup(data, (size_t)n);
		BIO_free(bio);
		expect_refusal(pubpem, "PEM");
		free(pubpem);
	}
	free(pem);
	EVP_PKEY_free(k);
}

Test(jwt, refuses_encrypted_key_without_prompting)
{
	EVP_PKEY *k = rsa_key();
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	cr_assert_eq(PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(), NULL, 0, NULL,
	    (void *)"secret-pass"), 1);
	n = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)n);
	BIO_free(bio);
	cr_assert_not_null(strstr(pem, "ENCRYPTED"));
	expect_refusal(pem, "encrypted");
	free(pem);
	EVP_PKEY_free(k);
}

Test(jwt, refuses_ec_key)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *pem, *trad;

	cr_assert_not_null(k);
	pem = key_pem(k, false);
	trad = key_pem(k, true);
	cr_assert_not_null(strstr(trad, "BEGIN EC PRIVATE KEY"));
	expect_refusal(pem, "not RSA");
	expect_refusal(pem, "EC");
	expect_refusal(trad, "not RSA");
	free(pem);
	free(trad);
	EVP_PKEY_free(k);
}

Test(jwt, refuses_ed25519_and_rsa_pss_keys)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
	EVP_PKEY *pss = NULL;
	char *pem;

	/* EVP_PKEY_Q_keygen knows no RSA-PSS in OpenSSL 3.0. */
	cr_assert_not_null(ctx);
	cr_assert_eq(EVP_PKEY_keygen_init(ctx), 1);
	cr_assert_eq(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
	cr_assert_eq(EVP_PKEY_generate(ctx, &pss), 1);
	EVP_PKEY_CTX_free(ctx);
	cr_assert_not_null(ed);
	cr_assert_not_null(pss);
	pem = key_pem(ed, false);
	expect_refusal(pem, "not RSA");
	free(pem);
	pem = key_pem(pss, false);
	expect_refusal(pem, "not RSA");
	free(pem);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(pss);
}

Test(jwt, refuses_claims_that_are_not_an_object)
{
	EVP_PKEY *k = rsa_key();
	char *pem = key_pem(k, false), err[256] = "";
	json_t *arr = json_array();

	cr_assert_null(jwt_sign_rs256(pem, NULL, arr, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "object"), "%s", err);
	err[0] = '\0';
	cr_assert_null(jwt_sign_rs256(pem, NULL, NULL, err, sizeof(err)));
	cr_assert_neq(err[0], '\0');
	json_decref(arr);
	free(pem);
	EVP_PKEY_free(k);
}

Test(jwt, small_error_buffer_is_safe)
{
	char err[8];

	cr_assert_null(jwt_sign_rs256("junk", NULL, NULL, err, sizeof(err)));
	cr_assert_lt(strlen(err), sizeof(err));
}

/*
 * test_secret.c - reference syntax and the local resolvers (literal, env:,
 * k8s: files). AWS and GCP resolution run against fakes end to end.
 */
#include "secret.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakcheck.h"

static const struct {
	const char *ref;
	const char *kind;
	const char *bad;      /* substring of the syntax error, or NULL */
} refs[] = {
	{ "ghp_abc", "literal", NULL },
	{ "env:GH_TOKEN", "env", NULL },
	{ "env:", "env", "needs a variable name" },
	{ "k8s:default/ghpool-pats:pat_alice", "k8s", NULL },
	{ "k8s:default/ghpool-pats", "k8s", "expected k8s:" },
	{ "k8s:ghpool-pats:key", "k8s", "expected k8s:" },
	{ "k8s:default/../etc:passwd", "k8s", "expected k8s:" },
	{ "k8s:default/pats:../x", "k8s", "expected k8s:" },
	{ "k8s:default/pats:a/b", "k8s", "expected k8s:" },
	{ "k8s:default/pats:", "k8s", "expected k8s:" },
	{ "k8s:/pats:key", "k8s", "expected k8s:" },
	{ "aws:secretsmanager:ghpool/pats:pat_alice", "aws", NULL },
	{ "aws:secretsmanager:arn:aws:secretsmanager:us-east-1:1:secret:x-AbC:key", "aws", NULL },
	{ "aws:secretsmanager:onlyid", "aws", "expected aws:secretsmanager:" },
	{ "aws:secretsmanager:id:", "aws", "expected aws:secretsmanager:" },
	{ "aws:ssm:/x:y", "aws", "the only AWS source" },
	{ "gcp:secretmanager:projects/p/secrets/s/versions/1", "gcp", NULL },
	{ "gcp:secretmanager:projects/p/secrets/s:latest", "gcp", NULL },
	{ "gcp:kms:x", "gcp", "expected gcp:secretmanager:projects/" },
};

Test(secret, reference_syntax)
{
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		const char *bad = secret_ref_invalid(refs[i].ref);

		cr_expect_str_eq(secret_kind(refs[i].ref), refs[i].kind, "%s", refs[i].ref);
		if (refs[i].bad == NULL)
			cr_expect_null(bad, "%s: %s", refs[i].ref, bad);
		else
			cr_expect(bad != NULL && strstr(bad, refs[i].bad) != NULL, "%s: %s",
			    refs[i].ref, bad ? bad : "(accepted)");
	}
}

static char dir[] = "/tmp/ghpool-secret-XXXXXX";

static void
put(const char *name, const char *key, const char *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, name, key);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	fwrite(data, 1, len, f);
	fclose(f);
}

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

static const struct {
	const char *data;
	size_t len;
	const char *value;    /* NULL: refused */
	const char *why;
} files[] = {
	{ "tok_a", 5, "tok_a", NULL },
	{ "tok_a\n", 6, "tok_a", NULL },
	{ "tok_a\r\n", 7, "tok_a", NULL },
	{ "tok_a\n\n", 7, NULL, "whitespace or control" },
	{ "", 0, NULL, "the secret is empty" },
	{ "\n", 1, NULL, "the secret is empty" },
	{ "tok a", 5, NULL, "whitespace or control" },
	{ "tok\0a", 5, NULL, "NUL byte" },
};

Test(secret, k8s_files, .init = setup, .fini = teardown)
{
	struct secret_opts o = { NULL, dir, 5 };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char key[16], ref[64], err[512] = "";
		char *v;

		snprintf(key, sizeof(key), "k%zu", i);
		put("pats", key, files[i].data, files[i].len);
		snprintf(ref, sizeof(ref), "k8s:default/pats:%s", key);
		v = secret_resolve(ref, &o, err, sizeof(err));
		if (files[i].value != NULL) {
			cr_expect(v != NULL && strcmp(v, files[i].value) == 0, "case %zu: %s", i, err);
		} else {
			cr_expect_null(v, "case %zu accepted", i);
			cr_expect(strstr(err, files[i].why) != NULL, "case %zu: %s", i, err);
		}
		secret_free(v);
	}
}

Test(secret, k8s_missing_and_too_large, .init = setup, .fini = teardown)
{
	struct secret_opts o = { NULL, dir, 5 };
	char err[512] = "", *big = malloc(70000);
	char *v;

	v = secret_resolve("k8s:default/nope:key", &o, err, sizeof(err));
	cr_expect_null(v);
	cr_expect(strstr(err, "cannot read") && strstr(err, "is the secret 'nope' mounted there?"),
	    "%s", err);
	memset(big, 'a', 70000);
	put("big", "key", big, 70000);
	v = secret_resolve("k8s:default/big:key", &o, err, sizeof(err));
	cr_expect_null(v);
	cr_expect(strstr(err, "larger than 64 KiB") != NULL, "%s", err);
	free(big);
}

Test(secret, env_and_literal)
{
	char *envp[] = { "GH_A=tok_env", "GH_EMPTY=", "GH_SPACE=a b", NULL };
	struct secret_opts o = { envp, NULL, 5 };
	char err[512] = "", *v;

	v = secret_resolve("env:GH_A", &o, err, sizeof(err));
	cr_expect(v && strcmp(v, "tok_env") == 0);
	secret_free(v);
	cr_expect_null(secret_resolve("env:GH_NOPE", &o, err, sizeof(err)));
	cr_expect(strstr(err, "environment variable GH_NOPE is not set") != NULL, "%s", err);
	cr_expect_null(secret_resolve("env:GH_EMPTY", &o, err, sizeof(err)));
	cr_expect(strstr(err, "empty") != NULL, "%s", err);
	cr_expect_null(secret_resolve("env:GH_SPACE", &o, err, sizeof(err)));
	v = secret_resolve("ghp_literal", &o, err, sizeof(err));
	cr_expect(v && strcmp(v, "ghp_literal") == 0);
	secret_free(v);
}

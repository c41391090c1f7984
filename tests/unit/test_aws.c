/*
 * test_aws.c - unit tests of src/aws.c's parts that need no network: the
 * ISO 8601, XML and INI parsers, the cache's five-minute rule, the checks
 * on container URIs, Secrets Manager answers, and the chain's errors that
 * come before any request. Requests themselves run against the fake AWS in
 * tests/e2e/test_secrets_aws.py.
 *
 * aws.c is included whole so its static functions can be reached; this
 * binary then never needs the library's copy of it.
 */
#include "../../src/aws.c"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakcheck.h"

/* ------------------------------------------------------------------------
 * ISO 8601
 * ---------------------------------------------------------------------- */

static const struct {
	const char *s;
	int64_t want;           /* -1: refused */
} times[] = {
	{ "2026-11-29T15:04:05Z", 1795964645 },
	{ "2026-11-29t15:04:05z", 1795964645 },
	{ "2026-11-29T15:04:05.123Z", 1795964645 },
	{ "2026-11-29T15:04:05.123456789Z", 1795964645 },
	{ "2026-11-29T15:04:05+00:00", 1795964645 },
	{ "2028-02-29T00:00:00Z", 1835395200 },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "9999-12-31T23:59:59Z", 253402300799 },
	{ "2027-02-29T00:00:00Z", -1 },
	{ "2026-02-31T00:00:00Z", -1 },
	{ "2026-04-31T00:00:00Z", -1 },
	{ "2026-13-01T00:00:00Z", -1 },
	{ "2026-00-01T00:00:00Z", -1 },
	{ "2026-11-00T00:00:00Z", -1 },
	{ "2026-11-29T24:00:00Z", -1 },
	{ "2026-11-29T15:60:00Z", -1 },
	{ "2026-11-29T15:04:60Z", -1 },
	{ "2026-11-29 15:04:05Z", -1 },
	{ "2026-11-29T15:04:05", -1 },
	{ "2026-11-29T15:04:05+01:00", -1 },
	{ "2026-11-29T15:04:05.Z", -1 },
	{ "2026-11-29T15:04:05.1234567890Z", -1 },
	{ "2026-11-29T15:04:05Zjunk", -1 },
	{ "+026-11-29T15:04:05Z", -1 },
	{ "1969-12-31T23:59:59Z", -1 },
	{ "2026-1-29T15:04:05Z", -1 },
	{ "", -1 },
	{ "1795964645", -1 },
};

Test(aws, parse_time)
{
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		cr_expect_eq(util_parse_utc_time(times[i].s), times[i].want, "'%s': got %lld, want %lld",
		    times[i].s, (long long)util_parse_utc_time(times[i].s), (long long)times[i].want);
}

/* ------------------------------------------------------------------------
 * XML element text
 * ---------------------------------------------------------------------- */

static void
expect_xml(const char *doc, const char *name, const char *want)
{
	char *got = aws_xml_text(doc, strlen(doc), name);

	if (want == NULL)
		cr_expect_null(got, "<%s> in '%s': got '%s', want none", name, doc, got);
	else if (got == NULL)
		cr_expect_not_null(got, "<%s> in '%s': got none, want '%s'", name, doc, want);
	else
		cr_expect_str_eq(got, want, "<%s> in '%s'", name, doc);
	free(got);
}

Test(aws, xml_text)
{
	expect_xml("<a><Code>Throttling</Code></a>", "Code", "Throttling");
	expect_xml("<Code xmlns=\"x\">c</Code>", "Code", "c");
	expect_xml("<Code\n>c</Code>", "Code", "c");
	/* A longer name sharing the prefix is another element. */
	expect_xml("<AccessKeyIdX>no</AccessKeyIdX><AccessKeyId>yes</AccessKeyId>", "AccessKeyId",
	    "yes");
	expect_xml("<Message/>", "Message", "");
	expect_xml("<Message></Message>", "Message", "");
	expect_xml("<Message>a&amp;b&lt;c&gt;d&quot;e&apos;f</Message>", "Message", "a&b<c>d\"e'f");
	expect_xml("<M>&#65;&#x42;&#x20AC;&#128512;</M>", "M", "AB\xe2\x82\xac\xf0\x9f\x98\x80");
	expect_xml("<M>&amp;amp;</M>", "M", "&amp;");
	expect_xml("<M>secret/+=</M>", "M", "secret/+=");
	/* Anything but plain text refuses, rather than guess. */
	expect_xml("<M>&foo;</M>", "M", NULL);
	expect_xml("<M>&AMP;</M>", "M", NULL);
	expect_xml("<M>&#0;</M>", "M", NULL);
	expect_xml("<M>&#xD800;</M>", "M", NULL);
	expect_xml("<M>&#x110000;</M>", "M", NULL);
	expect_xml("<M>&#-1;</M>", "M", NULL);
	expect_xml("<M>&#x;</M>", "M", NULL);
	expect_xml("<M>&amp</M>", "M", NULL);
	expect_xml("<M>a & b</M>", "M", NULL);
	expect_xml("<M><b>x</b></M>", "M", NULL);
	expect_xml("<M>unterminated", "M", NULL);
	expect_xml("<M", "M", NULL);
	expect_xml("<", "M", NULL);
	expect_xml("", "M", NULL);
	expect_xml("<Other>x</Other>", "M", NULL);
}

Test(aws, xml_text_stays_in_bounds)
{
	/* Exactly the bytes given, no NUL after them: ASan checks the reads. */
	static const char doc[] = "<AccessKeyId>ASIA1</AccessKeyId>";
	char *b;

	for (size_t n = 0; n <= strlen(doc); n++) {
		char *got;

		b = malloc(n ? n : 1);
		memcpy(b, doc, n);
		got = aws_xml_text(b, n, "AccessKeyId");
		if (n == strlen(doc))
			cr_expect_str_eq(got, "ASIA1");
		else
			cr_expect_null(got, "%zu bytes: '%s'", n, got);
		free(got);
		free(b);
	}
}

Test(aws, sts_answer)
{
	static const char doc[] =
	    "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
	    "  <AssumeRoleWithWebIdentityResult>\n"
	    "    <Credentials>\n"
	    "      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n"
	    "      <SecretAccessKey>ab/cd+ef&amp;</SecretAccessKey>\n"
	    "      <SessionToken>FwoG+/=</SessionToken>\n"
	    "      <Expiration>2026-11-29T15:04:05Z</Expiration>\n"
	    "    </Credentials>\n"
	    "  </AssumeRoleWithWebIdentityResult>\n"
	    "</AssumeRoleWithWebIdentityResponse>\n";

	expect_xml(doc, "AccessKeyId", "ASIAEXAMPLE");
	expect_xml(doc, "SecretAccessKey", "ab/cd+ef&");
	expect_xml(doc, "SessionToken", "FwoG+/=");
	expect_xml(doc, "Expiration", "2026-11-29T15:04:05Z");
	expect_xml(doc, "Credentials", NULL);
}

/* ------------------------------------------------------------------------
 * INI files
 * ---------------------------------------------------------------------- */

static void
expect_ini(const char *text, const char *profile, bool config, const char *key,
    const char *want, bool want_found)
{
	bool found = false;
	char *got = aws_ini_get(text, profile, config, key, &found);

	cr_expect_eq(found, want_found, "[%s] %s in '%s': found %d", profile, key, text, found);
	if (want == NULL)
		cr_expect_null(got, "[%s] %s: got '%s', want none", profile, key, got);
	else if (got == NULL)
		cr_expect_not_null(got, "[%s] %s: got none, want '%s'", profile, key, want);
	else
		cr_expect_str_eq(got, want, "[%s] %s", profile, key);
	free(got);
}

Test(aws, ini_credentials_file)
{
	static const char text[] =
	    "# comment\n"
	    "; another\n"
	    "[default]\n"
	    "aws_access_key_id = AKIADEFAULT\n"
	    "[ ci ]\r\n"
	    "AWS_Access_Key_Id=AKIACI\r\n"
	    "  aws_secret_access_key   =   se/cret+ #comment\r\n"
	    "hash_inside = abc#def\n"
	    "semi = x ;y\n"
	    "[profile ci]\n"
	    "aws_access_key_id = NOTCI\n"
	    "[ci]\n"
	    "aws_session_token = later\n";

	expect_ini(text, "default", false, "aws_access_key_id", "AKIADEFAULT", true);
	expect_ini(text, "ci", false, "aws_access_key_id", "AKIACI", true);
	expect_ini(text, "ci", false, "AWS_SECRET_ACCESS_KEY", "se/cret+", true);
	expect_ini(text, "ci", false, "hash_inside", "abc#def", true);
	expect_ini(text, "ci", false, "semi", "x", true);
	/* A repeated section adds to the first. */
	expect_ini(text, "ci", false, "aws_session_token", "later", true);
	expect_ini(text, "ci", false, "region", NULL, true);
	expect_ini(text, "nope", false, "aws_access_key_id", NULL, false);
	expect_ini(text, "Default", false, "aws_access_key_id", NULL, false);
	expect_ini(NULL, "default", false, "aws_access_key_id", NULL, false);
	expect_ini("", "default", false, "aws_access_key_id", NULL, false);
}

Test(aws, ini_config_file)
{
	static const char text[] =
	    "[default]\n"
	    "region = eu-west-1\n"
	    "s3 =\n"
	    "  region = nested-not-this\n"
	    "  max_concurrent_requests = 4\n"
	    "output = json\n"
	    "[ci]\n"
	    "region = not-a-config-profile\n"
	    "[profile   ci] # trailing comment\n"
	    "region = us-east-2\n"
	    "region = us-east-1\n"
	    "[profilex]\n"
	    "region = wrong\n";

	expect_ini(text, "default", true, "region", "eu-west-1", true);
	expect_ini(text, "default", true, "output", "json", true);
	expect_ini(text, "ci", true, "region", "us-east-1", true);
	expect_ini(text, "x", true, "region", NULL, false);
	expect_ini("[profile default]\nregion = r1\n", "default", true, "region", "r1", true);
	expect_ini("[profile default]\nregion = r1\n", "default", false, "region", NULL, false);
	expect_ini("[default\nregion = r1\n", "default", true, "region", NULL, false);
	expect_ini("region = before-any-section\n", "default", true, "region", NULL, false);
	expect_ini("[default]\nnovalue\nregion\n", "default", true, "region", NULL, true);
}

/* ------------------------------------------------------------------------
 * The cache
 * ---------------------------------------------------------------------- */

Test(aws, cache_until_five_minutes_before_expiry)
{
	struct aws_creds c = { util_strdup("ASIA1"), util_strdup("sk"), util_strdup("tok"), 10000 };

	cr_expect_not(aws_cache_fresh("web\nrole", 0));
	aws_cache_store("web\nrole", &c);
	cr_expect(aws_cache_fresh("web\nrole", 0));
	cr_expect(aws_cache_fresh("web\nrole", 10000 - 301));
	cr_expect_not(aws_cache_fresh("web\nrole", 10000 - 300));
	cr_expect_not(aws_cache_fresh("web\nrole", 20000));
	/* Another source's credentials are not these. */
	cr_expect_not(aws_cache_fresh("container\nhttp://x", 0));
	cr_expect_str_eq(aws_cached.token, "tok");

	/* Credentials without an Expiration are never kept. */
	c.expires = 0;
	aws_cache_store("container\nhttp://x", &c);
	cr_expect_not(aws_cache_fresh("container\nhttp://x", 0));
	cr_expect_not(aws_cache_fresh("web\nrole", 0));
	cr_expect_null(aws_cached.akid);

	c.expires = 10000;
	aws_cache_store("imds\nhttp://y", &c);
	cr_expect(aws_cache_fresh("imds\nhttp://y", 0));
	aws_cleanup();
	cr_expect_not(aws_cache_fresh("imds\nhttp://y", 0));
	cr_expect_null(aws_cached.akid);
	cr_expect_null(aws_cached_key);
	aws_creds_clear(&c);
}

/* ------------------------------------------------------------------------
 * Container URIs, answer text, Secrets Manager answers
 * ---------------------------------------------------------------------- */

Test(aws, container_full_uri_hosts)
{
	cr_expect(aws_container_host_ok("https://creds.example.com/x"));
	cr_expect(aws_container_host_ok("http://127.0.0.1:8080/v1/credentials"));
	cr_expect(aws_container_host_ok("http://127.1.2.3/x"));
	cr_expect(aws_container_host_ok("http://localhost/x"));
	cr_expect(aws_container_host_ok("http://[::1]:80/x"));
	cr_expect(aws_container_host_ok("http://169.254.170.2/v2/x"));
	cr_expect(aws_container_host_ok("http://169.254.170.23/v1/credentials"));
	cr_expect(aws_container_host_ok("http://[fd00:ec2::23]/v1/credentials"));
	cr_expect_not(aws_container_host_ok("http://203.0.113.9/x"));
	cr_expect_not(aws_container_host_ok("http://127.0.0.1.evil.example/x"));
	cr_expect_not(aws_container_host_ok("http://169.254.170.20/x"));
	cr_expect_not(aws_container_host_ok("http://[fd00:ec2::24]/x"));
	cr_expect_not(aws_container_host_ok("http://localhost.example/x"));
	cr_expect_not(aws_container_host_ok("http://169.254.169.254/latest"));
	cr_expect_not(aws_container_host_ok("ftp://127.0.0.1/x"));
	cr_expect_not(aws_container_host_ok("file:///etc/passwd"));
	cr_expect_not(aws_container_host_ok("not a url"));
}

Test(aws, clean_answer_text)
{
	const char *const secrets[] = { "s3cr3t", NULL };
	char out[32];

	aws_clean(out, sizeof(out), "two\nlines\tand\x1b[31m", secrets, 2);
	cr_expect_str_eq(out, "two lines and [31m");
	aws_clean(out, sizeof(out), "it was s3cr3t, see", secrets, 2);
	cr_expect(strstr(out, "s3cr3t") == NULL);
	cr_expect(strstr(out, "withheld") != NULL);
	aws_clean(out, sizeof(out), "0123456789012345678901234567890123456789", NULL, 0);
	cr_expect_eq(strlen(out), sizeof(out) - 1);
}

static char *
sm_value(const char *answer, const char *key, char *err, size_t errlen)
{
	struct fetch_answer b = { .body = (char *)answer, .len = strlen(answer) };

	err[0] = '\0';
	return aws_sm_value(&b, key, err, errlen);
}

Test(aws, secrets_manager_value)
{
	static const struct {
		const char *answer;
		const char *want;       /* value, or NULL */
		const char *err;        /* substring of the error */
	} cases[] = {
		{ "{\"SecretString\":\"{\\\"token\\\":\\\"ghp_x\\\"}\"}", "ghp_x", NULL },
		{ "{\"SecretString\":\"{\\\"other\\\":\\\"ghp_x\\\"}\"}", NULL, "no key 'token'" },
		{ "{\"SecretString\":\"{\\\"token\\\":1}\"}", NULL, "not a string" },
		{ "{\"SecretString\":\"{\\\"token\\\":\\\"\\\"}\"}", NULL, "empty" },
		{ "{\"SecretString\":\"{\\\"token\\\":\\\"a\\\\u0000b\\\"}\"}", NULL, "not text" },
		{ "{\"SecretString\":\"ghp_plain\"}", NULL, "not a JSON object" },
		{ "{\"SecretString\":\"[\\\"ghp_plain\\\"]\"}", NULL, "not a JSON object" },
		{ "{\"SecretBinary\":\"Z2hwX3g=\"}", NULL, "SecretBinary" },
		{ "{\"Name\":\"x\"}", NULL, "no SecretString" },
		{ "[1]", NULL, "not a JSON object" },
		{ "<html>", NULL, "not a JSON object" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *v = sm_value(cases[i].answer, "token", err, sizeof(err));

		if (cases[i].want != NULL) {
			cr_expect_str_eq(v, cases[i].want, "%s", cases[i].answer);
		} else {
			cr_expect_null(v, "%s", cases[i].answer);
			cr_expect(strstr(err, cases[i].err) != NULL, "%s: '%s'", cases[i].answer, err);
			cr_expect(strstr(err, "ghp_") == NULL, "%s: '%s'", cases[i].answer, err);
		}
		free(v);
	}
}

Test(aws, secrets_manager_errors)
{
	static const struct {
		const char *answer;
		const char *want;
		bool auth;
	} cases[] = {
		{ "{\"__type\":\"ResourceNotFoundException\",\"Message\":\"not found.\"}",
		  "AWS Secrets Manager: ResourceNotFoundException: not found.", false },
		{ "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException\","
		  "\"message\":\"invalid\"}",
		  "AWS Secrets Manager: UnrecognizedClientException: invalid", true },
		{ "{\"__type\":\"ExpiredTokenException:http://internal.amazon.com/\"}",
		  "AWS Secrets Manager: ExpiredTokenException", true },
		{ "{\"__type\":\"X\",\"message\":\"your key sk/secret was wrong\"}",
		  "AWS Secrets Manager: X: (message withheld: it quotes a credential)", false },
		{ "oops", "AWS Secrets Manager answered HTTP 400", false },
	};
	struct aws_creds c = { "AKIA", "sk/secret", NULL, 0 };
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fetch_answer b = { .body = (char *)cases[i].answer, .len = strlen(cases[i].answer) };
		bool auth = false;

		aws_sm_error(&b, 400, &c, &auth, err, sizeof(err));
		cr_expect_str_eq(err, cases[i].want);
		cr_expect_eq(auth, cases[i].auth, "%s", cases[i].answer);
	}
}

/* ------------------------------------------------------------------------
 * The chain's errors before any request
 * ---------------------------------------------------------------------- */

static char dir[] = "/tmp/ghpool-test-aws-XXXXXX";

static void
make_dir(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
remove_dir(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* aws_secret_resolve with envp; the error must contain want. */
static void
expect_error(char *const *envp, const char *want)
{
	char err[512] = "";
	char *v = aws_secret_resolve("ghpool/x", "token", envp, 2, err, sizeof(err));

	cr_expect_null(v);
	free(v);
	cr_expect(strstr(err, want) != NULL, "error '%s', want '%s'", err, want);
	cr_expect(strstr(err, "SECRETVALUE") == NULL, "error '%s' quotes a secret", err);
}

Test(aws, errors_before_any_request, .init = make_dir, .fini = remove_dir)
{
	char home[300], creds[300], config[300], tokfile[300];

	snprintf(home, sizeof(home), "HOME=%s", dir);
	snprintf(creds, sizeof(creds), "AWS_SHARED_CREDENTIALS_FILE=%s/credentials", dir);
	snprintf(config, sizeof(config), "AWS_CONFIG_FILE=%s/config", dir);
	snprintf(tokfile, sizeof(tokfile), "AWS_WEB_IDENTITY_TOKEN_FILE=%s/token", dir);

	expect_error((char *[]){ home, NULL }, "no AWS region");
	expect_error((char *[]){ home, "AWS_REGION=us east", NULL }, "is not a region name");
	expect_error((char *[]){ home, "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL=ftp://x", NULL },
	    "AWS_ENDPOINT_URL must be an http:// or https:// URL");
	expect_error((char *[]){ home, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIA", NULL },
	    "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
	expect_error((char *[]){ home, "AWS_REGION=us-east-1",
	    "AWS_SECRET_ACCESS_KEY=SECRETVALUE", NULL },
	    "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
	expect_error((char *[]){ home, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIA",
	    "AWS_SECRET_ACCESS_KEY=SECRETVALUE", "AWS_SESSION_TOKEN=a\r\nX-Evil: 1", NULL },
	    "AWS_SESSION_TOKEN contains control characters");
	expect_error((char *[]){ home, "AWS_REGION=us-east-1", tokfile, NULL },
	    "AWS_ROLE_ARN is not");
	expect_error((char *[]){ home, "AWS_REGION=us-east-1",
	    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=v2/x", NULL }, "must start with '/'");
	expect_error((char *[]){ home, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=TRUE",
	    NULL }, "no AWS credentials found (tried environment, web identity, shared files, "
	    "container, EC2 instance metadata: disabled by AWS_EC2_METADATA_DISABLED)");

	/* Region from the profile; then the profile's credentials are checked. */
	write_file("config", "[profile ci]\nregion = eu-west-1\nrole_arn = arn:x\n");
	expect_error((char *[]){ home, config, "AWS_PROFILE=ci", NULL },
	    "AWS profile 'ci' uses role_arn, which ghpool does not support");
	write_file("credentials", "[ci]\naws_secret_access_key = SECRETVALUE\n");
	write_file("config", "[profile ci]\nregion = eu-west-1\n");
	expect_error((char *[]){ home, config, creds, "AWS_PROFILE=ci", NULL },
	    "AWS profile 'ci' has aws_secret_access_key but no aws_access_key_id");
	expect_error((char *[]){ home, config, creds, "AWS_REGION=us-east-1", "AWS_PROFILE=gone",
	    NULL }, "AWS profile 'gone' (AWS_PROFILE) is in neither");
	/* A directory where the file should be cannot be read. */
	expect_error((char *[]){ home, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
	    "AWS_SHARED_CREDENTIALS_FILE=/", NULL }, "cannot read AWS file /");
	expect_error((char *[]){ home, "AWS_REGION=us-east-1",
	    "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://10.0.0.1/creds", NULL },
	    "must be https, or http to a loopback address");
	cr_expect_null(aws_cached_key);
}

Test(aws, arguments)
{
	char err[128];

	cr_expect_null(aws_secret_resolve("", "k", (char *[]){ NULL }, 2, err, sizeof(err)));
	cr_expect(strstr(err, "needs a secret id and a JSON key") != NULL);
	cr_expect_null(aws_secret_resolve("id", "", (char *[]){ NULL }, 2, err, sizeof(err)));
	cr_expect(strstr(err, "needs a secret id and a JSON key") != NULL);
}

/*
 * test_config.c - config loading from TOML text and from the environment.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static char *env_none[] = { NULL };

static void
load_ok(struct config *cfg, const char *text, char **envp)
{
	char err[512] = "";
	int rc = config_load_text(cfg, text, text ? strlen(text) : 0, "cfg.toml", envp, err, sizeof(err));
	cr_assert_eq(rc, 0, "unexpected error: %s", err);
}

Test(config, defaults_from_empty_file)
{
	struct config cfg;

	load_ok(&cfg, "", env_none);
	cr_expect_eq(cfg.port, 8080);
	cr_expect_str_eq(cfg.listen, "0.0.0.0");
	cr_expect_str_eq(cfg.upstream_url, "https://api.github.com");
	cr_expect_null(cfg.public_url);
	cr_expect_eq(cfg.upstream_timeout_secs, 30);
	cr_expect_eq(cfg.pool_reserve, 50);
	cr_expect_geq(cfg.workers, 1);
	cr_expect_eq(cfg.n_identities, 0);
	cr_expect_eq(cfg.n_allowed_owners, 0);
	cr_expect_not(cfg.owners_all);
	config_free(&cfg);
}

Test(config, full_file)
{
	static const char text[] =
	    "# ghpool\n"
	    "port = 9000\n"
	    "listen = \"127.0.0.1\"\n"
	    "upstream_url = \"http://127.0.0.1:1234/\"\n"
	    "public_url = \"https://ghpool.example\"\n"
	    "workers = 3\n"
	    "upstream_timeout_secs = 7\n"
	    "allowed_owners = [\"octo-org\", \"Alice\"]\n"
	    "[pool]\nreserve = 10\n"
	    "[cache]\nmax_entries = 5\npr_view_ttl_secs = 1\nissue_list_ttl_secs = 2\n"
	    "run_list_ttl_secs = 3\ncommit_list_ttl_secs = 4\nrepo_view_ttl_secs = 5\ndefault_ttl_secs = 6\n"
	    "[[identities]]\nid = \"alice\"\ntoken = \"env:TOK_A\"\n"
	    "[[identities]]\nid = \"bob\"\ntoken = \"ghp_literal\"\n";
	char *envp[] = { "TOK_A=secret-a", NULL };
	struct config cfg;

	load_ok(&cfg, text, envp);
	cr_expect_eq(cfg.port, 9000);
	cr_expect_str_eq(cfg.listen, "127.0.0.1");
	cr_expect_str_eq(cfg.upstream_url, "http://127.0.0.1:1234");
	cr_expect_str_eq(cfg.public_url, "https://ghpool.example");
	cr_expect_eq(cfg.workers, 3);
	cr_expect_eq(cfg.upstream_timeout_secs, 7);
	cr_assert_eq(cfg.n_allowed_owners, 2);
	cr_expect_str_eq(cfg.allowed_owners[1], "Alice");
	cr_expect_eq(cfg.pool_reserve, 10);
	cr_expect_eq(cfg.cache.max_entries, 5);
	cr_expect_eq(cfg.cache.default_ttl_secs, 6);
	cr_assert_eq(cfg.n_identities, 2);
	cr_expect_str_eq(cfg.identities[0].id, "alice");
	cr_expect_str_eq(cfg.identities[0].token, "secret-a");
	cr_expect_str_eq(cfg.identities[1].token, "ghp_literal");
	config_free(&cfg);
}

Test(config, star_allows_all)
{
	struct config cfg;

	load_ok(&cfg, "allowed_owners = [\"*\"]\n", env_none);
	cr_expect(cfg.owners_all);
	config_free(&cfg);
}

static const struct {
	const char *text;
	const char *expect;   /* substring of the error */
} bad_cases[] = {
	{ "port = 1\n\nport = \"x\"\n", "line 3" },
	{ "port = \"x\"\n", "cfg.toml: line 1: key 'port' must be an integer" },
	{ "port = 70000\n", "key 'port' must be between 0 and 65535" },
	{ "prot = 1\n", "line 1: unknown key 'prot'" },
	{ "[cache]\nttl = 1\n", "line 2: unknown key 'cache.ttl'" },
	{ "[pool]\nreserve = -1\n", "key 'pool.reserve' must be between" },
	{ "upstream_url = \"ftp://x\"\n", "key 'upstream_url' must start with http" },
	{ "workers = 0\n", "key 'workers' must be between 1 and 256" },
	{ "allowed_owners = [1]\n", "key 'allowed_owners' must be an array of strings" },
	{ "[[identities]]\nid = \"a\"\ntoken = \"x\"\n[[identities]]\nid = \"A\"\ntoken = \"y\"\n",
	  "line 5: duplicate identity id 'A'" },
	{ "[[identities]]\nid = \"a\"\ntoken = \"\"\n", "line 3: identity 'a': key 'token' is empty" },
	{ "[[identities]]\nid = \"a\"\n", "identity 'a' needs key 'token'" },
	{ "[[identities]]\ntoken = \"x\"\n", "needs key 'id'" },
	{ "[[identities]]\nid = \"a b\"\ntoken = \"x\"\n", "key 'identities.id' must be" },
	{ "[[identities]]\nid = \"a\"\ntoken = \"x\"\nlogin = \"z\"\n", "line 4: unknown key 'identities.login'" },
	{ "[[identities]]\nid = \"a\"\ntoken = \"env:NOPE\"\n",
	  "line 3: identity 'a': env:NOPE: environment variable NOPE is not set" },
	{ "[[identities]]\nid = \"a\"\ntoken = \"aws:secretsmanager:x:y\"\n",
	  "line 3: identity 'a': aws:secretsmanager:x:y: " },
	{ "[[identities]]\nid = \"a\"\ntoken = \"aws:kms:x:y\"\n",
	  "line 3: identity 'a': the only AWS source is aws:secretsmanager" },
	{ "[[identities]]\nid = \"a\"\ntoken = \"k8s:default/../x:y\"\n",
	  "line 3: identity 'a': expected k8s:<namespace>/<secret-name>:<key>" },
	{ "k8s_secrets_dir = \"/nonexistent-ghpool\"\n[[identities]]\nid = \"a\"\n"
	  "token = \"k8s:default/pats:alice\"\n",
	  "line 4: identity 'a': k8s:default/pats:alice: cannot read /nonexistent-ghpool/pats/alice" },
	{ "k8s_secrets_dir = \"relative\"\n", "line 1: key 'k8s_secrets_dir' must be an absolute path" },
	/* GitHub App identities */
	{ "[[identities]]\nid = \"a\"\ntoken = \"x\"\napp_id = 1\n",
	  "line 3: identity 'a': give 'token', or 'app_id' and 'private_key' for a GitHub App, not both" },
	{ "[[identities]]\nid = \"a\"\napp_id = 1\ninstallation_id = 2\n",
	  "line 1: identity 'a': a GitHub App needs 'app_id' and 'private_key'" },
	{ "[[identities]]\nid = \"a\"\napp_id = 1\nprivate_key = \"env:K\"\n",
	  "identity 'a': a GitHub App needs exactly one of 'installation_id' and 'owner'" },
	{ "[[identities]]\nid = \"a\"\napp_id = 1\nprivate_key = \"env:K\"\ninstallation_id = 2\nowner = \"o\"\n",
	  "exactly one of 'installation_id' and 'owner'" },
	{ "[[identities]]\nid = \"a\"\napp_id = 0\nprivate_key = \"env:K\"\ninstallation_id = 2\n",
	  "line 3: key 'identities.app_id' must be between" },
	{ "[[identities]]\nid = \"a\"\napp_id = 1\nprivate_key = \"env:K\"\nowner = \"a/b\"\n",
	  "line 5: key 'identities.owner' must be a GitHub login" },
	{ "[[identities]]\nid = \"a\"\napp_id = 1\nprivate_key = \"env:K\"\ninstallation_id = 2\n",
	  "line 4: identity 'a': private_key: env:K: environment variable K is not set" },
	{ "secrets_refresh_secs = -1\n", "key 'secrets_refresh_secs' must be between" },
	{ "port = \n", "cfg.toml: line 1" },
	{ "identities = 5\n", "line 1: key 'identities' must be an array of tables ([[identities]])" },
	{ "identities = [1]\n", "line 1: key 'identities' must be an array of tables" },
	{ "[cache]\nrules = \"x\"\n", "line 2: key 'cache.rules' must be an array of tables" },
};

Test(config, errors_name_file_line_and_key)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct config cfg;
		char err[512] = "";
		int rc = config_load_text(&cfg, bad_cases[i].text, strlen(bad_cases[i].text),
		    "cfg.toml", env_none, err, sizeof(err));

		cr_expect_eq(rc, -1, "case %zu accepted", i);
		cr_expect(strstr(err, bad_cases[i].expect) != NULL,
		    "case %zu: '%s' does not contain '%s'", i, err, bad_cases[i].expect);
	}
}

Test(config, env_only_mode)
{
	char *envp[] = { "GHPOOL_PORT=9100", "GHPOOL_ALLOWED_OWNERS=octo-org, alice ,",
		"GHPOOL_PAT_ALICE=tok-a", "GHPOOL_PAT_Bob_2=tok-b", "OTHER=x", NULL };
	struct config cfg;

	load_ok(&cfg, NULL, envp);
	cr_expect_str_eq(cfg.source, "cfg.toml");
	cr_expect_eq(cfg.port, 9100);
	cr_assert_eq(cfg.n_allowed_owners, 2);
	cr_expect_str_eq(cfg.allowed_owners[0], "octo-org");
	cr_expect_str_eq(cfg.allowed_owners[1], "alice");
	cr_assert_eq(cfg.n_identities, 2);
	cr_expect_str_eq(cfg.identities[0].id, "alice");
	cr_expect_str_eq(cfg.identities[0].token, "tok-a");
	cr_expect_str_eq(cfg.identities[1].id, "bob_2");
	config_free(&cfg);
}

Test(config, env_overrides_file)
{
	char *envp[] = { "GHPOOL_PORT=9200", "GHPOOL_ALLOWED_OWNERS=*", "GHPOOL_PAT_X=ignored", NULL };
	struct config cfg;

	load_ok(&cfg, "port = 1\nallowed_owners = [\"a\"]\n", envp);
	cr_expect_eq(cfg.port, 9200);
	cr_expect(cfg.owners_all);
	cr_expect_eq(cfg.n_allowed_owners, 0);
	/* PATs from the environment only count without a file. */
	cr_expect_eq(cfg.n_identities, 0);
	config_free(&cfg);
}

Test(config, env_errors)
{
	static char *bad[][2] = {
		{ "GHPOOL_PORT=80x", NULL },
		{ "GHPOOL_PORT=99999", NULL },
		{ "GHPOOL_PAT_A=", NULL },
		{ "GHPOOL_PAT_=x", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config cfg;
		char err[512] = "";
		cr_expect_eq(config_load_text(&cfg, NULL, 0, "environment", bad[i], err, sizeof(err)), -1,
		    "%s accepted", bad[i][0]);
		cr_expect(strstr(err, "environment") != NULL, "%s", err);
	}
}

Test(config, print_masks_tokens)
{
	char *envp[] = { "TOK_A=supersecret-env", NULL };
	struct config cfg;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	load_ok(&cfg, "[[identities]]\nid = \"a\"\ntoken = \"env:TOK_A\"\n"
	    "[[identities]]\nid = \"b\"\ntoken = \"ghp_supersecretliteral\"\n", envp);
	f = open_memstream(&out, &len);
	config_print(&cfg, f);
	fclose(f);
	cr_expect(strstr(out, "supersecret") == NULL, "token leaked:\n%s", out);
	cr_expect(strstr(out, "env:TOK_A") != NULL);
	cr_expect(strstr(out, "id = \"b\"") != NULL);
	free(out);
	config_free(&cfg);
}

Test(config, cache_keys_and_rules)
{
	static const char text[] =
	    "[cache]\nmax_bytes = 1048576\nmax_entry_bytes = 4096\nimmutable_ttl_secs = 10\n"
	    "stale_if_error_secs = 20\n"
	    "[[cache.rules]]\npattern = \"/repos/*/*/pulls\"\nttl_secs = 5\n"
	    "[[cache.rules]]\npattern = \"/meta\"\nttl_secs = 0\n";
	struct config cfg;
	char err[512] = "";

	load_ok(&cfg, text, env_none);
	cr_expect_eq(cfg.cache.max_bytes, 1048576);
	cr_expect_eq(cfg.cache.max_entry_bytes, 4096);
	cr_expect_eq(cfg.cache.immutable_ttl_secs, 10);
	cr_expect_eq(cfg.cache.stale_if_error_secs, 20);
	cr_assert_eq(cfg.cache.n_rules, 2);
	cr_expect_str_eq(cfg.cache.rules[0].pattern, "/repos/*/*/pulls");
	cr_expect_eq(cfg.cache.rules[1].ttl_secs, 0);
	config_free(&cfg);

	const char *bad1 = "[[cache.rules]]\npattern = \"x\"\nttl_secs = 1\n";
	const char *bad2 = "[[cache.rules]]\npattern = \"/x\"\nttl = 1\n";
	cr_expect_eq(config_load_text(&cfg, bad1, strlen(bad1), "cfg.toml", env_none, err, sizeof(err)), -1);
	cr_expect(strstr(err, "line 2: key 'cache.rules.pattern' must be a path glob") != NULL, "%s", err);
	cr_expect_eq(config_load_text(&cfg, bad2, strlen(bad2), "cfg.toml", env_none, err, sizeof(err)), -1);
	cr_expect(strstr(err, "line 3: unknown key 'cache.rules.ttl'") != NULL, "%s", err);
}

Test(config, cache_defaults)
{
	struct config cfg;

	load_ok(&cfg, "", env_none);
	cr_expect_eq(cfg.cache.max_bytes, 256 * 1024 * 1024);
	cr_expect_eq(cfg.cache.max_entry_bytes, 8 * 1024 * 1024);
	cr_expect_eq(cfg.cache.immutable_ttl_secs, 86400);
	cr_expect_eq(cfg.cache.stale_if_error_secs, 300);
	config_free(&cfg);
}

/*
 * test_config.c - config loading from TOML text and from the environment.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "redis.h"
#include "leakcheck.h"

static char *env_none[] = { NULL };

static void
load_ok(struct config *cfg, const char *text, char *const *envp)
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
	cr_expect_eq(cfg.log_format, LOG_FORMAT_TEXT);
	cr_expect_eq(cfg.log_level, LOG_LEVEL_INFO);
	cr_expect_eq(cfg.shutdown_grace_secs, 20);
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
	/* [policy] */
	{ "[policy]\nallow_path = []\n", "cfg.toml: line 2: unknown key 'policy.allow_path'" },
	{ "policy = 1\n", "line 1: key 'policy' must be a table" },
	{ "[policy]\nallow_paths = \"/a\"\n", "line 2: key 'policy.allow_paths' must be an array of strings" },
	{ "[policy]\nallow_paths = [\n  \"/a\",\n  1,\n]\n",
	  "line 4: key 'policy.allow_paths' must be an array of strings" },
	{ "[policy]\nallow_paths = [\"advisories\"]\n",
	  "line 2: key 'policy.allow_paths': \"advisories\" must start with '/'" },
	{ "[policy]\nallow_paths = [\"\"]\n", "line 2: key 'policy.allow_paths': \"\" must start with '/'" },
	{ "[policy]\nallow_paths = [\"/a b\"]\n",
	  "line 2: key 'policy.allow_paths': \"/a b\" may hold only printable ASCII without spaces, '?' or '#'" },
	{ "[policy]\nallow_paths = [\"/a?b\"]\n", "key 'policy.allow_paths': \"/a?b\" may hold only printable ASCII" },
	{ "[policy]\nallow_paths = [\"/a#b\"]\n", "key 'policy.allow_paths': \"/a#b\" may hold only printable ASCII" },
	{ "[policy]\nallow_paths = [\"/a\\tb\"]\n", "key 'policy.allow_paths': \"/a?b\" may hold only printable ASCII" },
	{ "[policy]\nallow_paths = [\"/caf\u00e9\"]\n", "key 'policy.allow_paths': \"/caf??\" may hold only printable ASCII" },
	{ "[policy]\nallow_paths = [\"/ok\", \"/events/***\"]\n",
	  "line 2: key 'policy.allow_paths': \"/events/***\" has a '***' run" },
	{ "[policy]\nallow_paths = [\"/a****\"]\n", "has a '***' run" },
	{ "[policy]\ngraphql_node_lookup = \"maybe\"\n",
	  "line 2: key 'policy.graphql_node_lookup' must be \"seen\", \"deny\" or \"allow\"" },
	{ "[policy]\ngraphql_node_lookup = \"SEEN\"\n", "key 'policy.graphql_node_lookup' must be" },
	{ "[policy]\ngraphql_node_lookup = 1\n", "line 2: key 'policy.graphql_node_lookup' must be" },
	{ "[policy]\npassthrough_denied_reads = \"no\"\n",
	  "line 2: key 'policy.passthrough_denied_reads' must be true or false" },
	/* [[clients]] */
	{ "clients = 1\n", "line 1: key 'clients' must be an array of tables ([[clients]])" },
	{ "[[clients]]\nkey = \"0123456789abcdef\"\n", "line 1: [[clients]] entry needs key 'id'" },
	{ "[[clients]]\nid = \"a/b\"\nkey = \"0123456789abcdef\"\n",
	  "line 2: key 'clients.id' must be 1-64 characters" },
	{ "[[clients]]\nid = \"\"\nkey = \"0123456789abcdef\"\n", "line 2: key 'clients.id' must be" },
	{ "[[clients]]\nid = \"a\"\nkey = \"0123456789abcdef\"\n[[clients]]\nid = \"A\"\nkey = \"fedcba9876543210\"\n",
	  "line 5: duplicate client id 'A'" },
	{ "[[clients]]\nid = \"a\"\nkey = \"0123456789abcdef\"\nkeys = [\"fedcba9876543210\"]\n",
	  "line 4: client 'a': give 'key', or 'keys' while rotating, not both" },
	{ "[[clients]]\nid = \"a\"\n", "line 1: client 'a' needs key 'key' (or 'keys' while rotating)" },
	{ "[[clients]]\nid = \"a\"\nkey = 1\n", "line 3: key 'clients.key' must be a string" },
	{ "[[clients]]\nid = \"a\"\nkey = \"\"\n", "line 3: client 'a': key 'key' is empty" },
	{ "[[clients]]\nid = \"a\"\nkeys = [\"env:A\", \"env:B\", \"env:C\"]\n",
	  "line 3: key 'clients.keys' must be an array of 1 or 2 strings" },
	{ "[[clients]]\nid = \"a\"\nkeys = []\n", "line 3: key 'clients.keys' must be an array of 1 or 2 strings" },
	{ "[[clients]]\nid = \"a\"\nkeys = \"env:A\"\n", "line 3: key 'clients.keys' must be an array of 1 or 2 strings" },
	{ "[[clients]]\nid = \"a\"\nkeys = [true]\n", "line 3: key 'clients.keys' must be an array of 1 or 2 strings" },
	{ "[[clients]]\nid = \"a\"\nkeys = [\"0123456789abcdef\", \"\"]\n", "line 3: client 'a': key 'keys' is empty" },
	{ "[[clients]]\nid = \"a\"\nkey = \"short\"\n",
	  "cfg.toml: line 3: key of client 'a' is shorter than 16 characters ((literal))" },
	{ "[[clients]]\nid = \"a\"\nkeys = [\"0123456789abcdef\", \"0123456789abcde\"]\n",
	  "line 3: key of client 'a' is shorter than 16 characters" },
	{ "[[clients]]\nid = \"a\"\nkey = \"0123456789abcdef\"\n[[clients]]\nid = \"b\"\nkey = \"0123456789abcdef\"\n",
	  "cfg.toml: line 6: clients 'a' and 'b' share a key ((literal) and (literal))" },
	{ "[[clients]]\nid = \"a\"\nkey = \"0123456789abcdef\"\n[[clients]]\nid = \"b\"\n"
	  "keys = [\"fedcba9876543210\", \"0123456789abcdef\"]\n",
	  "line 6: clients 'a' and 'b' share a key" },
	{ "[[clients]]\nid = \"a\"\nkeys = [\"0123456789abcdef\", \"0123456789abcdef\"]\n",
	  "line 3: client 'a' lists the same key twice" },
	{ "[[clients]]\nid = \"a\"\nkey = \"0123456789abcdef\"\nallowed_owners = [1]\n",
	  "line 4: key 'clients.allowed_owners' must be an array of strings" },
	{ "[[clients]]\nid = \"a\"\nkey = \"0123456789abcdef\"\nallowed_owners = 5\n",
	  "line 4: key 'clients.allowed_owners' must be an array of strings" },
	{ "[[clients]]\nid = \"a\"\nkey = \"0123456789abcdef\"\ntoken = \"x\"\n", "line 4: unknown key 'clients.token'" },
	{ "[[clients]]\nid = \"a\"\nkey = \"env:NOPE\"\n",
	  "cfg.toml: line 3: client 'a': env:NOPE: environment variable NOPE is not set" },
	{ "[[clients]]\nid = \"a\"\nkey = \"aws:kms:x:y\"\n",
	  "line 3: client 'a': the only AWS source is aws:secretsmanager" },
	{ "[[clients]]\nid = \"a\"\nkey = \"0123456789 abcdef\"\n",
	  "line 3: client 'a': the secret contains whitespace" },
	/* logging and shutdown */
	{ "port = 1\nlog_format = \"xml\"\n", "cfg.toml: line 2: key 'log_format' must be \"text\" or \"json\"" },
	{ "log_format = \"JSON\"\n", "line 1: key 'log_format' must be \"text\" or \"json\"" },
	{ "log_format = \"\"\n", "line 1: key 'log_format' must be \"text\" or \"json\"" },
	{ "log_format = 1\n", "line 1: key 'log_format' must be \"text\" or \"json\"" },
	{ "log_format = [\"json\"]\n", "line 1: key 'log_format' must be" },
	{ "log_level = \"verbose\"\n",
	  "line 1: key 'log_level' must be \"debug\", \"info\", \"warn\" or \"error\"" },
	{ "log_level = \"warning\"\n", "line 1: key 'log_level' must be \"debug\"" },
	{ "log_level = \"Info\"\n", "line 1: key 'log_level' must be" },
	{ "log_level = true\n", "line 1: key 'log_level' must be" },
	{ "\n\nshutdown_grace_secs = -1\n", "cfg.toml: line 3: key 'shutdown_grace_secs' must be between 0 and 3600" },
	{ "shutdown_grace_secs = 3601\n", "line 1: key 'shutdown_grace_secs' must be between 0 and 3600" },
	{ "shutdown_grace_secs = \"20\"\n", "line 1: key 'shutdown_grace_secs' must be an integer" },
	{ "shutdown_grace_secs = true\n", "line 1: key 'shutdown_grace_secs' must be an integer" },
	{ "[pool]\nshutdown_grace_secs = 5\n", "line 2: unknown key 'pool.shutdown_grace_secs'" },
	{ "log-level = \"info\"\n", "line 1: unknown key 'log-level'" },
	/* [cache] backend = "redis" */
	{ "[cache]\nbackend = \"valkey\"\n", "line 2: key 'cache.backend' must be \"memory\" or \"redis\"" },
	{ "[cache]\nbackend = true\n", "line 2: key 'cache.backend' must be" },
	{ "[cache]\nbackend = \"redis\"\n", "backend = \"redis\" needs 'cache.redis_url'" },
	{ "[cache]\nredis_url = \"redis://r:6379\"\n", "'cache.redis_url' is set but [cache] backend is not \"redis\"" },
	{ "[cache]\nredis_password = \"env:X\"\n", "'cache.redis_password' is set but" },
	{ "[cache]\nbackend = \"redis\"\nredis_url = \"rediss://r:6380\"\n", "line 3: key 'cache.redis_url': " },
	{ "[cache]\nbackend = \"redis\"\nredis_url = \"redis://r:0\"\n", "line 3: key 'cache.redis_url': " },
	{ "[cache]\nbackend = \"redis\"\nredis_url = \"http://r\"\n", "line 3: key 'cache.redis_url': " },
	{ "[cache]\nbackend = \"redis\"\nredis_url = 6379\n", "line 3: key 'cache.redis_url' must be a string" },
	{ "[cache]\nbackend = \"redis\"\nredis_url = \"redis://r\"\nredis_timeout_ms = 0\n", "line 4: key 'cache.redis_timeout_ms' must be between 1 and 1000" },
	{ "[cache]\nbackend = \"redis\"\nredis_url = \"redis://r\"\nredis_key_prefix = \"a b\"\n", "line 4: key 'cache.redis_key_prefix' must be 1-64" },
	{ "[cache]\nbackend = \"redis\"\nredis_url = \"redis://r\"\nredis_password = \"env:NOPE_UNSET\"\n", "line 4: cache.redis_password: env:NOPE_UNSET" },
	{ "[cache]\nbackend = \"redis\"\nredis_url = \"redis://r\"\nredis_password = \"aws:x\"\n", "line 4: key 'cache.redis_password': " },
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

Test(config, policy_and_clients_defaults)
{
	char *envp[] = { "GHPOOL_PAT_ALICE=tok-a", NULL };
	struct config cfg;

	load_ok(&cfg, "", env_none);
	cr_expect_eq(cfg.policy.n_allow_paths, 0);
	cr_expect_null(cfg.policy.allow_paths);
	cr_expect_eq(cfg.policy.node_lookup, CONFIG_NODE_SEEN);
	cr_expect_not(cfg.policy.passthrough_denied_reads);
	cr_expect_eq(cfg.n_clients, 0);
	cr_expect_null(cfg.clients);
	config_free(&cfg);

	/* The environment alone: no clients, the default policy. */
	load_ok(&cfg, NULL, envp);
	cr_expect_eq(cfg.n_identities, 1);
	cr_expect_eq(cfg.n_clients, 0);
	cr_expect_eq(cfg.policy.n_allow_paths, 0);
	cr_expect_eq(cfg.policy.node_lookup, CONFIG_NODE_SEEN);
	cr_expect_not(cfg.policy.passthrough_denied_reads);
	config_free(&cfg);
}

Test(config, policy_keys)
{
	static const struct {
		const char *mode;
		enum config_node_lookup want;
	} modes[] = {
		{ "seen", CONFIG_NODE_SEEN }, { "deny", CONFIG_NODE_DENY }, { "allow", CONFIG_NODE_ALLOW },
	};
	char text[512];
	struct config cfg;

	load_ok(&cfg, "[policy]\n"
	    "allow_paths = [\"/advisories\", \"/advisories/*\", \"/events/**\", \"/a**b/*/c\", \"/\"]\n"
	    "graphql_node_lookup = \"deny\"\npassthrough_denied_reads = true\n", env_none);
	cr_assert_eq(cfg.policy.n_allow_paths, 5);
	cr_expect_str_eq(cfg.policy.allow_paths[0], "/advisories");
	cr_expect_str_eq(cfg.policy.allow_paths[1], "/advisories/*");
	cr_expect_str_eq(cfg.policy.allow_paths[2], "/events/**");
	cr_expect_str_eq(cfg.policy.allow_paths[3], "/a**b/*/c");
	cr_expect_str_eq(cfg.policy.allow_paths[4], "/");
	cr_expect_eq(cfg.policy.node_lookup, CONFIG_NODE_DENY);
	cr_expect(cfg.policy.passthrough_denied_reads);
	config_free(&cfg);

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		snprintf(text, sizeof(text), "[policy]\ngraphql_node_lookup = \"%s\"\n", modes[i].mode);
		load_ok(&cfg, text, env_none);
		cr_expect_eq(cfg.policy.node_lookup, modes[i].want, "%s", modes[i].mode);
		config_free(&cfg);
	}

	load_ok(&cfg, "[policy]\nallow_paths = []\n", env_none);
	cr_expect_eq(cfg.policy.n_allow_paths, 0);
	config_free(&cfg);
}

Test(config, policy_glob_length_limit)
{
	char text[700], err[512] = "";
	struct config cfg;
	int n;

	/* 512 bytes is the limit; 513 is one too many. */
	n = snprintf(text, sizeof(text), "[policy]\nallow_paths = [\"/%0511d\"]\n", 0);
	cr_assert_lt((size_t)n, sizeof(text));
	load_ok(&cfg, text, env_none);
	cr_expect_eq(strlen(cfg.policy.allow_paths[0]), 512);
	config_free(&cfg);
	snprintf(text, sizeof(text), "[policy]\nallow_paths = [\"/%0512d\"]\n", 0);
	cr_expect_eq(config_load_text(&cfg, text, strlen(text), "cfg.toml", env_none, err, sizeof(err)), -1);
	cr_expect(strstr(err, "cfg.toml: line 2: key 'policy.allow_paths': \"/000") != NULL, "%s", err);
	cr_expect(strstr(err, "...\" is longer than 512 bytes") != NULL, "%s", err);
}

Test(config, clients_parsed)
{
	static const char text[] =
	    "allowed_owners = [\"octo-org\", \"other\"]\n"
	    "[[clients]]\n"
	    "id = \"ci-agents\"\n"
	    "key = \"env:CI_AGENTS_KEY\"\n"
	    "allowed_owners = [\"octo-org\"]\n"
	    "[[clients]]\n"
	    "id = \"Team.B_2\"\n"
	    "keys = [\"env:OLD_KEY\", \"literal-key-0123456789\"]\n"
	    "[[clients]]\n"
	    "id = \"all\"\n"
	    "keys = [\"k8s:default/keys:one\"]\n"
	    "allowed_owners = [\"*\", \" x \"]\n"
	    "[[clients]]\n"
	    "id = \"none\"\n"
	    "key = \"nobody-0123456789\"\n"
	    "allowed_owners = []\n";
	char dir[] = "/tmp/ghpool-test-XXXXXX", path[128], cfgtext[1024];
	char *envp[] = { "CI_AGENTS_KEY=ci-agents-secret-0001", "OLD_KEY=old-key-0123456789abc", NULL };
	struct config cfg;
	FILE *f;

	/* A k8s: reference, from a mounted secret's file (with its newline). */
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/keys", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/keys/one", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs("k8s-key-0123456789abcdef\n", f);
	fclose(f);
	snprintf(cfgtext, sizeof(cfgtext), "k8s_secrets_dir = \"%s\"\n%s", dir, text);

	load_ok(&cfg, cfgtext, envp);
	unlink(path);
	snprintf(path, sizeof(path), "%s/keys", dir);
	rmdir(path);
	rmdir(dir);
	cr_assert_eq(cfg.n_clients, 4);

	cr_expect_str_eq(cfg.clients[0].id, "ci-agents");
	cr_expect_str_eq(cfg.clients[0].key_refs[0], "env:CI_AGENTS_KEY");
	cr_expect_str_eq(cfg.clients[0].keys[0], "ci-agents-secret-0001");
	cr_expect_null(cfg.clients[0].key_refs[1]);
	cr_expect_null(cfg.clients[0].keys[1]);
	cr_expect_eq(cfg.clients[0].line, 5);
	cr_expect(cfg.clients[0].owners_set);
	cr_expect_not(cfg.clients[0].owners_all);
	cr_assert_eq(cfg.clients[0].n_allowed_owners, 1);
	cr_expect_str_eq(cfg.clients[0].allowed_owners[0], "octo-org");

	cr_expect_str_eq(cfg.clients[1].id, "Team.B_2");
	cr_expect_str_eq(cfg.clients[1].key_refs[0], "env:OLD_KEY");
	cr_expect_str_eq(cfg.clients[1].keys[0], "old-key-0123456789abc");
	cr_expect_str_eq(cfg.clients[1].key_refs[1], "(literal)");
	cr_expect_str_eq(cfg.clients[1].keys[1], "literal-key-0123456789");
	cr_expect_eq(cfg.clients[1].line, 9);
	cr_expect_not(cfg.clients[1].owners_set);
	cr_expect_eq(cfg.clients[1].n_allowed_owners, 0);

	cr_expect_str_eq(cfg.clients[2].key_refs[0], "k8s:default/keys:one");
	cr_expect_str_eq(cfg.clients[2].keys[0], "k8s-key-0123456789abcdef");
	cr_expect_null(cfg.clients[2].keys[1]);
	cr_expect(cfg.clients[2].owners_set);
	cr_expect(cfg.clients[2].owners_all);
	cr_assert_eq(cfg.clients[2].n_allowed_owners, 1);
	cr_expect_str_eq(cfg.clients[2].allowed_owners[0], "x");

	cr_expect_str_eq(cfg.clients[3].key_refs[0], "(literal)");
	cr_expect(cfg.clients[3].owners_set);
	cr_expect_not(cfg.clients[3].owners_all);
	cr_expect_eq(cfg.clients[3].n_allowed_owners, 0);

	/* The global list is untouched by the clients' lists. */
	cr_expect_not(cfg.owners_all);
	cr_assert_eq(cfg.n_allowed_owners, 2);
	cr_expect_str_eq(cfg.allowed_owners[1], "other");
	config_free(&cfg);
}

Test(config, client_env_key_resolved_and_checked)
{
	static const char text[] = "[[clients]]\nid = \"a\"\nkey = \"env:KEY_A\"\n"
	    "[[clients]]\nid = \"b\"\nkeys = [\"env:KEY_B\", \"env:KEY_A2\"]\n";
	char *ok[] = { "KEY_A=aaaaaaaaaaaaaaaa", "KEY_B=bbbbbbbbbbbbbbbb", "KEY_A2=cccccccccccccccc", NULL };
	char *shared[] = { "KEY_A=aaaaaaaaaaaaaaaa", "KEY_B=bbbbbbbbbbbbbbbb", "KEY_A2=aaaaaaaaaaaaaaaa", NULL };
	char *shortk[] = { "KEY_A=aaaaaaaaaaaaaaaa", "KEY_B=bbbbbbbbbbbbbbb", "KEY_A2=cccccccccccccccc", NULL };
	char *spaced[] = { "KEY_A=aaaaaaaaaaaaaaaa\n", "KEY_B=bbbbbbbbbbbbbbbb", "KEY_A2=cccccccccccccccc", NULL };
	char *unset[] = { "KEY_A=aaaaaaaaaaaaaaaa", "KEY_B=bbbbbbbbbbbbbbbb", NULL };
	struct config cfg;
	char err[512] = "";

	load_ok(&cfg, text, ok);
	cr_expect_str_eq(cfg.clients[0].keys[0], "aaaaaaaaaaaaaaaa");
	cr_expect_str_eq(cfg.clients[1].keys[0], "bbbbbbbbbbbbbbbb");
	cr_expect_str_eq(cfg.clients[1].keys[1], "cccccccccccccccc");
	config_free(&cfg);

	cr_expect_eq(config_load_text(&cfg, text, strlen(text), "cfg.toml", shared, err, sizeof(err)), -1);
	cr_expect(strstr(err, "cfg.toml: line 6: clients 'a' and 'b' share a key (env:KEY_A and env:KEY_A2)") != NULL,
	    "%s", err);
	cr_expect(strstr(err, "aaaa") == NULL, "key leaked: %s", err);
	cr_expect_eq(config_load_text(&cfg, text, strlen(text), "cfg.toml", shortk, err, sizeof(err)), -1);
	cr_expect(strstr(err, "cfg.toml: line 6: key of client 'b' is shorter than 16 characters (env:KEY_B)") != NULL,
	    "%s", err);
	cr_expect_eq(config_load_text(&cfg, text, strlen(text), "cfg.toml", spaced, err, sizeof(err)), -1);
	cr_expect(strstr(err, "cfg.toml: line 3: client 'a': env:KEY_A: the secret contains whitespace") != NULL,
	    "%s", err);
	cr_expect_eq(config_load_text(&cfg, text, strlen(text), "cfg.toml", unset, err, sizeof(err)), -1);
	cr_expect(strstr(err, "cfg.toml: line 6: client 'b': env:KEY_A2: environment variable KEY_A2 is not set") != NULL,
	    "%s", err);
}

Test(config, print_masks_client_keys)
{
	char *envp[] = { "KEY_A=supersecret-env-key-a", "KEY_C=supersecret-env-key-c", NULL };
	struct config cfg;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	load_ok(&cfg, "[policy]\nallow_paths = [\"/advisories/*\", \"/x\\\"y\"]\ngraphql_node_lookup = \"allow\"\n"
	    "[[clients]]\nid = \"a\"\nkey = \"env:KEY_A\"\nallowed_owners = [\"*\", \"octo-org\"]\n"
	    "[[clients]]\nid = \"b\"\nkeys = [\"supersecret-literal-b\", \"env:KEY_C\"]\n", envp);
	f = open_memstream(&out, &len);
	config_print(&cfg, f);
	fclose(f);
	cr_expect(strstr(out, "supersecret") == NULL, "key leaked:\n%s", out);
	cr_expect(strstr(out, "[policy]\nallow_paths = [\"/advisories/*\", \"/x\\\"y\"]\n"
	    "graphql_node_lookup = \"allow\"\npassthrough_denied_reads = false\n") != NULL, "%s", out);
	cr_expect(strstr(out, "[[clients]]\nid = \"a\"\nkey = \"****\"  # from env:KEY_A, sha256 ") != NULL, "%s", out);
	cr_expect(strstr(out, "allowed_owners = [\"*\", \"octo-org\"]\n") != NULL, "%s", out);
	cr_expect(strstr(out, "[[clients]]\nid = \"b\"\nkeys = [\"****\", \"****\"]  # from (literal), sha256 ") != NULL,
	    "%s", out);
	cr_expect(strstr(out, "; env:KEY_C, sha256 ") != NULL, "%s", out);
	free(out);

	/* Once dropped, the keys are gone; the references remain. */
	config_drop_tokens(&cfg);
	cr_expect_null(cfg.clients[0].keys[0]);
	cr_expect_null(cfg.clients[1].keys[0]);
	cr_expect_null(cfg.clients[1].keys[1]);
	cr_expect_str_eq(cfg.clients[1].key_refs[1], "env:KEY_C");
	out = NULL;
	len = 0;
	f = open_memstream(&out, &len);
	config_print(&cfg, f);
	fclose(f);
	cr_expect(strstr(out, "key = \"****\"  # from env:KEY_A\n") != NULL, "%s", out);
	free(out);
	config_free(&cfg);
}

Test(config, default_policy_printed)
{
	struct config cfg;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	load_ok(&cfg, "", env_none);
	f = open_memstream(&out, &len);
	config_print(&cfg, f);
	fclose(f);
	cr_expect(strstr(out, "\n[policy]\nallow_paths = []\ngraphql_node_lookup = \"seen\"\n"
	    "passthrough_denied_reads = false\n") != NULL, "%s", out);
	cr_expect(strstr(out, "[[clients]]") == NULL, "%s", out);
	free(out);
	config_free(&cfg);
}

Test(config, logging_and_shutdown_keys)
{
	static const struct {
		const char *text;
		enum log_format format;
		enum log_level level;
		int64_t grace;
	} rows[] = {
		{ "log_format = \"json\"\n", LOG_FORMAT_JSON, LOG_LEVEL_INFO, 20 },
		{ "log_format = \"text\"\n", LOG_FORMAT_TEXT, LOG_LEVEL_INFO, 20 },
		{ "log_level = \"debug\"\n", LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG, 20 },
		{ "log_level = \"info\"\n", LOG_FORMAT_TEXT, LOG_LEVEL_INFO, 20 },
		{ "log_level = \"warn\"\n", LOG_FORMAT_TEXT, LOG_LEVEL_WARN, 20 },
		{ "log_level = \"error\"\n", LOG_FORMAT_TEXT, LOG_LEVEL_ERROR, 20 },
		{ "shutdown_grace_secs = 0\n", LOG_FORMAT_TEXT, LOG_LEVEL_INFO, 0 },
		{ "shutdown_grace_secs = 3600\n", LOG_FORMAT_TEXT, LOG_LEVEL_INFO, 3600 },
		{ "log_format = \"json\"\nlog_level = \"warn\"\nshutdown_grace_secs = 5\n",
		  LOG_FORMAT_JSON, LOG_LEVEL_WARN, 5 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct config cfg;

		load_ok(&cfg, rows[i].text, env_none);
		cr_expect_eq(cfg.log_format, rows[i].format, "row %zu", i);
		cr_expect_eq(cfg.log_level, rows[i].level, "row %zu", i);
		cr_expect_eq(cfg.shutdown_grace_secs, rows[i].grace, "row %zu", i);
		config_free(&cfg);
	}
}

Test(config, logging_and_shutdown_env)
{
	static const struct {
		char *env[3];
		const char *text;          /* NULL: environment only */
		enum log_format format;
		enum log_level level;
		int64_t grace;
	} rows[] = {
		{ { "GHPOOL_LOG_FORMAT=json", NULL }, NULL, LOG_FORMAT_JSON, LOG_LEVEL_INFO, 20 },
		{ { "GHPOOL_LOG_LEVEL=debug", "GHPOOL_SHUTDOWN_GRACE_SECS=0", NULL }, NULL,
		  LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG, 0 },
		/* The environment wins over the file, as GHPOOL_PORT does. */
		{ { "GHPOOL_LOG_FORMAT=text", "GHPOOL_LOG_LEVEL=error", NULL },
		  "log_format = \"json\"\nlog_level = \"debug\"\n", LOG_FORMAT_TEXT, LOG_LEVEL_ERROR, 20 },
		{ { "GHPOOL_SHUTDOWN_GRACE_SECS=3600", NULL }, "shutdown_grace_secs = 1\n",
		  LOG_FORMAT_TEXT, LOG_LEVEL_INFO, 3600 },
		/* Empty names count as unset, as GHPOOL_LISTEN's do. */
		{ { "GHPOOL_LOG_FORMAT=", "GHPOOL_LOG_LEVEL=", NULL },
		  "log_format = \"json\"\nlog_level = \"warn\"\n", LOG_FORMAT_JSON, LOG_LEVEL_WARN, 20 },
	};
	static const struct {
		char *env[2];
		const char *expect;
	} bad[] = {
		{ { "GHPOOL_LOG_FORMAT=xml", NULL }, "environment: GHPOOL_LOG_FORMAT must be \"text\" or \"json\"" },
		{ { "GHPOOL_LOG_FORMAT=JSON", NULL }, "environment: GHPOOL_LOG_FORMAT must be" },
		{ { "GHPOOL_LOG_LEVEL=trace", NULL },
		  "environment: GHPOOL_LOG_LEVEL must be \"debug\", \"info\", \"warn\" or \"error\"" },
		{ { "GHPOOL_SHUTDOWN_GRACE_SECS=3601", NULL },
		  "environment: GHPOOL_SHUTDOWN_GRACE_SECS must be a number of seconds (0-3600)" },
		{ { "GHPOOL_SHUTDOWN_GRACE_SECS=-1", NULL }, "environment: GHPOOL_SHUTDOWN_GRACE_SECS must be" },
		{ { "GHPOOL_SHUTDOWN_GRACE_SECS=5s", NULL }, "environment: GHPOOL_SHUTDOWN_GRACE_SECS must be" },
		{ { "GHPOOL_SHUTDOWN_GRACE_SECS=", NULL }, "environment: GHPOOL_SHUTDOWN_GRACE_SECS must be" },
		{ { "GHPOOL_SHUTDOWN_GRACE_SECS= 5", NULL }, "environment: GHPOOL_SHUTDOWN_GRACE_SECS must be" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct config cfg;

		load_ok(&cfg, rows[i].text, rows[i].env);
		cr_expect_eq(cfg.log_format, rows[i].format, "row %zu", i);
		cr_expect_eq(cfg.log_level, rows[i].level, "row %zu", i);
		cr_expect_eq(cfg.shutdown_grace_secs, rows[i].grace, "row %zu", i);
		config_free(&cfg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config cfg;
		char err[512] = "";

		cr_expect_eq(config_load_text(&cfg, "", 0, "cfg.toml", bad[i].env, err, sizeof(err)), -1,
		    "%s accepted", bad[i].env[0]);
		cr_expect(strstr(err, bad[i].expect) != NULL, "%s: '%s' does not contain '%s'",
		    bad[i].env[0], err, bad[i].expect);
	}
}

Test(config, logging_and_shutdown_printed)
{
	struct config cfg;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	load_ok(&cfg, "", env_none);
	f = open_memstream(&out, &len);
	config_print(&cfg, f);
	fclose(f);
	cr_expect(strstr(out, "\nlog_format = \"text\"\nlog_level = \"info\"\nshutdown_grace_secs = 20\n") != NULL,
	    "%s", out);
	free(out);
	config_free(&cfg);

	load_ok(&cfg, "log_format = \"json\"\nlog_level = \"debug\"\nshutdown_grace_secs = 0\n", env_none);
	out = NULL;
	len = 0;
	f = open_memstream(&out, &len);
	config_print(&cfg, f);
	fclose(f);
	cr_expect(strstr(out, "\nlog_format = \"json\"\nlog_level = \"debug\"\nshutdown_grace_secs = 0\n") != NULL,
	    "%s", out);
	free(out);
	config_free(&cfg);
}

/* The names config accepts are log's, both ways. */
Test(config, log_names_round_trip)
{
	static const char *const formats[] = { "text", "json" };
	static const char *const levels[] = { "debug", "info", "warn", "error" };

	for (int i = 0; i < 2; i++) {
		cr_expect_eq(log_format_parse(formats[i]), i);
		cr_expect_str_eq(log_format_name((enum log_format)i), formats[i]);
	}
	for (int i = 0; i < 4; i++) {
		cr_expect_eq(log_level_parse(levels[i]), i);
		cr_expect_str_eq(log_level_name((enum log_level)i), levels[i]);
	}
	cr_expect_eq(log_format_parse("yaml"), -1);
	cr_expect_eq(log_format_parse(NULL), -1);
	cr_expect_eq(log_level_parse("warning"), -1);
	cr_expect_eq(log_level_parse(""), -1);
}

/* The Redis keys: defaults, a password from a reference overriding the
 * URL's, the environment, and a print that never shows a password. */
Test(config, redis_backend)
{
	char *envp[] = { "RPW=s3cret-from-env", NULL };
	char *env_only[] = { "GHPOOL_CACHE_BACKEND=redis", "GHPOOL_REDIS_URL=redis://:urlpw@h:7000/2",
		"GHPOOL_REDIS_PASSWORD=env:RPW", "RPW=s3cret-from-env", NULL };
	struct redis_url u;
	struct config cfg;
	char err[256], *out = NULL;
	size_t len = 0;
	FILE *f;

	load_ok(&cfg, "", env_none);
	cr_expect(!cfg.cache.redis);
	cr_expect_eq(cfg.cache.redis_timeout_ms, 50);
	cr_expect_str_eq(cfg.cache.redis_key_prefix, "ghpool:");
	config_free(&cfg);

	load_ok(&cfg, "[cache]\nbackend = \"redis\"\nredis_url = \"redis://:urlpw@h:7000/2\"\n"
	    "redis_password = \"env:RPW\"\nredis_timeout_ms = 20\nredis_key_prefix = \"team-a:\"\n",
	    envp);
	cr_expect(cfg.cache.redis);
	cr_expect_eq(cfg.cache.redis_timeout_ms, 20);
	cr_assert_eq(config_redis_url(&cfg, &u, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(u.host, "h");
	cr_expect_eq(u.port, 7000);
	cr_expect_eq(u.db, 2);
	cr_expect_str_eq(u.password, "s3cret-from-env");
	redis_url_free(&u);
	f = open_memstream(&out, &len);
	config_print(&cfg, f);
	fclose(f);
	cr_expect(strstr(out, "urlpw") == NULL && strstr(out, "s3cret") == NULL, "%s", out);
	cr_expect(strstr(out, "redis_url = \"redis://:***@h:7000/2\"") != NULL, "%s", out);
	cr_expect(strstr(out, "redis_password = \"env:RPW\"") != NULL, "%s", out);
	cr_expect(strstr(out, "backend = \"redis\"") != NULL, "%s", out);
	free(out);
	config_free(&cfg);

	load_ok(&cfg, NULL, env_only);
	cr_expect(cfg.cache.redis);
	cr_assert_eq(config_redis_url(&cfg, &u, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(u.password, "s3cret-from-env");
	redis_url_free(&u);
	config_free(&cfg);
}

Test(config, redis_env_errors)
{
	static char *bad[][2] = {
		{ "GHPOOL_CACHE_BACKEND=disk", NULL },
		{ "GHPOOL_CACHE_BACKEND=redis", NULL },
		{ "GHPOOL_REDIS_URL=redis://h:99999", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config cfg;
		char err[512] = "";

		cr_expect_eq(config_load_text(&cfg, NULL, 0, "environment", bad[i], err, sizeof(err)), -1,
		    "%s accepted", bad[i][0]);
		cr_expect(strstr(err, "GHPOOL_") != NULL || strstr(err, "redis_url") != NULL, "%s", err);
	}
}

/* text into a fresh temporary file; path (a mkstemp template) gets its name. */
static void
write_temp(char *path, const char *text)
{
	int fd = mkstemp(path);
	size_t len = strlen(text);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/*
 * The Redis keys are restart-only, so a reload never resolves a
 * redis_password reference: it keeps the running configuration's password
 * (a copy), and a reference that cannot be resolved now does not fail it,
 * nor hold back an identity's new token. The first load still resolves the
 * reference and fails as before.
 */
Test(config, reload_keeps_the_running_redis_password)
{
	static const char text[] =
	    "[cache]\nbackend = \"redis\"\nredis_url = \"redis://:urlpw@h:7000/2\"\n"
	    "redis_password = \"env:RPW\"\n"
	    "[[identities]]\nid = \"alice\"\ntoken = \"env:TOK_A\"\n";
	char *env_start[] = { "RPW=pw-at-start", "TOK_A=tok-1", NULL };
	char *env_gone[] = { "TOK_A=tok-2", NULL };
	char *env_rotated[] = { "RPW=pw-rotated", "TOK_A=tok-3", NULL };
	char path[] = "/tmp/ghpool-ut-config-XXXXXX";
	struct config running, fresh;
	struct redis_url u;
	char err[512] = "", want[600];

	write_temp(path, text);
	cr_assert_eq(config_load(&running, path, env_start, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(running.cache.redis_password, "pw-at-start");

	/* The first load without the variable fails, with the message it always had. */
	cr_assert_eq(config_load(&fresh, path, env_gone, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
	    "%s: line 4: cache.redis_password: env:RPW: environment variable RPW is not set", path);
	cr_expect_str_eq(err, want);

	/* A reload without it loads, with the running password and the new token. */
	err[0] = '\0';
	cr_assert_eq(config_reload(&fresh, path, env_gone, &running, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(fresh.cache.redis_password);
	cr_expect_str_eq(fresh.cache.redis_password, "pw-at-start");
	cr_expect_neq(fresh.cache.redis_password, running.cache.redis_password, "not a copy");
	cr_expect_str_eq(fresh.cache.redis_password_ref, "env:RPW");
	cr_expect_str_eq(fresh.identities[0].token, "tok-2");
	cr_assert_eq(config_redis_url(&fresh, &u, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(u.password, "pw-at-start");
	redis_url_free(&u);
	config_free(&fresh);

	/* Nor is a reference that resolves taken: the password in use stays. */
	cr_assert_eq(config_reload(&fresh, path, env_rotated, &running, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(fresh.cache.redis_password, "pw-at-start");
	cr_expect_str_eq(fresh.identities[0].token, "tok-3");
	config_free(&fresh);

	/* From the environment (GHPOOL_REDIS_PASSWORD) alike. */
	{
		char *env_over[] = { "GHPOOL_REDIS_PASSWORD=env:OTHER", "TOK_A=tok-4", NULL };

		cr_assert_eq(config_reload(&fresh, path, env_over, &running, err, sizeof(err)), 0, "%s", err);
		cr_expect_str_eq(fresh.cache.redis_password, "pw-at-start");
		cr_expect_str_eq(fresh.cache.redis_password_ref, "env:OTHER");
		config_free(&fresh);
		cr_assert_eq(config_load(&fresh, path, env_over, err, sizeof(err)), -1);
		cr_expect_str_eq(err, "environment: GHPOOL_REDIS_PASSWORD: env:OTHER: "
		    "environment variable OTHER is not set");
	}
	config_free(&running);
	unlink(path);
}

/* Without a password running, a reload's reference gets none (NULL); a
 * literal is taken as written, and its reference shows as "(literal)". */
Test(config, reload_redis_password_without_one_running_and_literals)
{
	static const char plain[] = "[cache]\nbackend = \"redis\"\nredis_url = \"redis://h\"\n";
	static const char by_ref[] =
	    "[cache]\nbackend = \"redis\"\nredis_url = \"redis://h\"\nredis_password = \"env:RPW\"\n";
	static const char literal[] =
	    "[cache]\nbackend = \"redis\"\nredis_url = \"redis://h\"\nredis_password = \"lit-pw-2\"\n";
	char p1[] = "/tmp/ghpool-ut-config-XXXXXX", p2[] = "/tmp/ghpool-ut-config-XXXXXX";
	char p3[] = "/tmp/ghpool-ut-config-XXXXXX";
	struct config running, fresh;
	char err[512] = "";

	write_temp(p1, plain);
	write_temp(p2, by_ref);
	write_temp(p3, literal);
	cr_assert_eq(config_load(&running, p1, env_none, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(running.cache.redis_password);
	cr_assert_eq(config_reload(&fresh, p2, env_none, &running, err, sizeof(err)), 0, "%s", err);
	cr_expect_null(fresh.cache.redis_password);
	cr_expect_str_eq(fresh.cache.redis_password_ref, "env:RPW");
	config_free(&fresh);
	cr_assert_eq(config_reload(&fresh, p3, env_none, &running, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(fresh.cache.redis_password, "lit-pw-2");
	cr_expect_str_eq(fresh.cache.redis_password_ref, "(literal)");
	config_free(&fresh);
	config_free(&running);
	unlink(p1);
	unlink(p2);
	unlink(p3);
}

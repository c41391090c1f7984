/*
 * test_policy.c - client keys, and the owner checks of REST paths and
 * GraphQL root fields, as tables.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "gql.h"
#include "policy.h"
#include "route.h"
#include "leakcheck.h"

static char *global_owners[] = { "octo-org", "Alice" };
static char *globs[] = { "/advisories", "/advisories/*", "/events/**" };

/* A config as the loader leaves it; clients optional. */
static void
make_config(struct config *cfg, bool all)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->allowed_owners = global_owners;
	cfg->n_allowed_owners = all ? 0 : 2;
	cfg->owners_all = all;
	cfg->policy.allow_paths = globs;
	cfg->policy.n_allow_paths = 3;
	cfg->policy.node_lookup = CONFIG_NODE_SEEN;
}

static struct policy *
make_policy(bool all)
{
	struct config cfg;

	make_config(&cfg, all);
	return policy_new(&cfg);
}

/* The policy judges what route_parse() made of a target. */
static enum policy_verdict
rest(struct policy *p, const struct policy_client *c, const char *target, bool write,
    struct policy_denial *d)
{
	const char *q = strchr(target, '?');
	size_t plen = q ? (size_t)(q - target) : strlen(target);
	struct route_info ri;

	route_parse(target, plen, &ri);
	return policy_check_rest(p, c, target, plen, &ri, q ? q + 1 : "", q ? strlen(q + 1) : 0,
	    write, d);
}

/* ------------------------------------------------------------------------
 * REST
 * ---------------------------------------------------------------------- */

static const struct {
	const char *target;
	enum policy_verdict verdict;
	const char *rule;      /* for POLICY_DENY */
} rest_cases[] = {
	{ "/repos/octo-org/hello", POLICY_ALLOW, NULL },
	{ "/repos/OCTO-ORG/hello/issues", POLICY_ALLOW, NULL },
	{ "/repos/alice/tools/contents/a%2Fb.md", POLICY_ALLOW, NULL },
	{ "/repos/evil-corp/secret", POLICY_DENY, "owner" },
	{ "/repos/octo-org-x/hello", POLICY_DENY, "owner" },
	{ "/REPOS/evil-corp/secret", POLICY_DENY, "owner" },
	{ "/Repos/octo-org/hello", POLICY_ALLOW, NULL },
	{ "/orgs/octo-org/repos", POLICY_ALLOW, NULL },
	{ "/orgs/evil-corp", POLICY_DENY, "owner" },
	{ "/users/alice/repos", POLICY_ALLOW, NULL },
	{ "/users/mallory", POLICY_DENY, "owner" },
	{ "/networks/octo-org/hello/events", POLICY_ALLOW, NULL },
	{ "/networks/evil-corp/x/events", POLICY_DENY, "owner" },
	{ "/repositories/1001", POLICY_RESOLVE, NULL },
	{ "/repositories/1001/issues?page=2", POLICY_RESOLVE, NULL },
	{ "/search/issues?q=repo:octo-org/hello+is:open", POLICY_ALLOW, NULL },
	{ "/search/code?q=foo+org:octo-org", POLICY_ALLOW, NULL },
	{ "/search/issues?q=is:open", POLICY_DENY, "search" },
	{ "/search/issues?q=repo:evil/x", POLICY_DENY, "search" },
	{ "/search/issues?q=repo:octo-org/hello&q=bug", POLICY_DENY, "search" },
	{ "/search/issues", POLICY_DENY, "search" },
	{ "/search/repositories?q=user:alice+OR+user:evil", POLICY_DENY, "search" },
	{ "/user", POLICY_DENY, "identity" },
	{ "/user/repos", POLICY_DENY, "identity" },
	{ "/user/77", POLICY_DENY, "identity" },
	{ "/notifications", POLICY_DENY, "identity" },
	{ "/issues?filter=all", POLICY_DENY, "identity" },
	{ "/gists/abc", POLICY_DENY, "identity" },
	{ "/installation/repositories", POLICY_DENY, "identity" },
	{ "/rate_limit", POLICY_RATE_LIMIT, NULL },
	{ "/meta", POLICY_ALLOW, NULL },
	{ "/zen", POLICY_ALLOW, NULL },
	{ "/licenses/mit", POLICY_ALLOW, NULL },
	{ "/gitignore/templates/C", POLICY_ALLOW, NULL },
	{ "/advisories", POLICY_ALLOW, NULL },
	{ "/advisories/GHSA-1", POLICY_ALLOW, NULL },
	{ "/advisories/GHSA-1/x", POLICY_DENY, "path" },
	{ "/advisories/GHSA-1%2Fx", POLICY_DENY, "path" },
	{ "/advisories/GHSA-1%2fx", POLICY_DENY, "path" },
	{ "/events/a%2Fb", POLICY_ALLOW, NULL },
	{ "/events", POLICY_DENY, "path" },
	{ "/events/a/b", POLICY_ALLOW, NULL },
	{ "/organizations/9/repos", POLICY_DENY, "path" },
	{ "/repositories", POLICY_DENY, "path" },
	{ "/feeds", POLICY_DENY, "path" },
	{ "/gitignore/other", POLICY_DENY, "path" },
	{ "/", POLICY_DENY, "path" },
};

Test(policy, rest_table)
{
	struct policy *p = make_policy(false);

	for (size_t i = 0; i < sizeof(rest_cases) / sizeof(rest_cases[0]); i++) {
		struct policy_denial d = { 0 };
		enum policy_verdict v = rest(p, NULL, rest_cases[i].target, false, &d);

		cr_expect_eq(v, rest_cases[i].verdict, "%s: verdict %d, expected %d (%s)",
		    rest_cases[i].target, v, rest_cases[i].verdict, d.message);
		if (v == POLICY_DENY && rest_cases[i].rule != NULL) {
			cr_expect_str_eq(d.rule, rest_cases[i].rule, "%s", rest_cases[i].target);
			cr_expect(d.message[0] != '\0', "%s: no message", rest_cases[i].target);
		}
	}
	cr_expect_not(policy_allows_none(p));
	policy_free(p);
}

/* "*" opens every owner, not the identity's own data or unknown paths. */
Test(policy, star_opens_owners_only)
{
	struct policy *p = make_policy(true);
	struct policy_denial d;

	cr_expect_eq(rest(p, NULL, "/repos/evil-corp/x", false, &d), POLICY_ALLOW);
	cr_expect_eq(rest(p, NULL, "/repositories/1", false, &d), POLICY_ALLOW);
	cr_expect_eq(rest(p, NULL, "/search/issues?q=anything", false, &d), POLICY_ALLOW);
	cr_expect_eq(rest(p, NULL, "/user", false, &d), POLICY_DENY);
	cr_expect_eq(rest(p, NULL, "/feeds", false, &d), POLICY_DENY);
	policy_free(p);
}

/* Writes go with the client's token: only the owner is judged. */
Test(policy, writes_are_judged_on_owner)
{
	struct policy *p = make_policy(false);
	struct policy_denial d;

	cr_expect_eq(rest(p, NULL, "/repos/octo-org/hello/issues", true, &d), POLICY_ALLOW);
	cr_expect_eq(rest(p, NULL, "/repos/evil/x/issues", true, &d), POLICY_DENY);
	cr_expect_eq(rest(p, NULL, "/user/repos", true, &d), POLICY_ALLOW);
	cr_expect_eq(rest(p, NULL, "/markdown", true, &d), POLICY_ALLOW);
	cr_expect_eq(rest(p, NULL, "/repositories/5/issues", true, &d), POLICY_RESOLVE);
	policy_free(p);
}

Test(policy, repository_ids_are_resolved_once)
{
	struct policy *p = make_policy(false);
	struct policy_denial d;

	cr_expect(policy_check_owner(p, NULL, "1001", 4, "octo-org", "hello", &d));
	cr_expect_eq(rest(p, NULL, "/repositories/1001/issues", false, &d), POLICY_ALLOW);
	cr_expect_not(policy_check_owner(p, NULL, "1004", 4, "evil-corp", "secret", &d));
	/* Foreign and unknown read alike: no oracle for private repositories. */
	cr_expect_str_eq(d.rule, "repository_id");
	cr_expect(strstr(d.message, "evil") == NULL, "%s", d.message);
	cr_expect_eq(rest(p, NULL, "/repositories/1004", false, &d), POLICY_DENY);
	cr_expect_not(policy_check_owner(p, NULL, "9", 1, NULL, NULL, &d));
	cr_expect_str_eq(d.rule, "repository_id");
	/* Not asked again: unknown ids must not cost a lookup each time. */
	cr_expect_eq(rest(p, NULL, "/repositories/9", false, &d), POLICY_DENY);
	cr_expect_str_eq(d.rule, "repository_id");
	policy_free(p);
}

/* A repository's two spellings, learnt from resolving its id: a write
 * under one invalidates reads cached under the other. */
Test(policy, repository_aliases)
{
	static const struct {
		const char *group;
		const char *alias;     /* NULL: none */
	} cases[] = {
		{ "/repositories/1001", "/repos/Octo-Org/Hello.js" },
		{ "/repos/Octo-Org/Hello.js", "/repositories/1001" },
		{ "/REPOS/octo-org/hello.JS", "/repositories/1001" },   /* any case in */
		{ "/repositories/1002", NULL },          /* never resolved */
		{ "/repositories/9", NULL },             /* resolved, no owner shown */
		{ "/repositories/7", NULL },             /* a name that is not one */
		{ "/repos/octo-org/other", NULL },
		{ "/repos/octo-org", NULL },
		{ "/repos/octo-org/hello.js/issues", NULL },   /* a group, not a path */
		{ "/repos//hello.js", NULL },
		{ "/orgs/octo-org", NULL },
		{ "/repositories/1001/issues", NULL },
		{ "/repositories/", NULL },
	};
	struct policy *p = make_policy(true);
	struct policy_denial d;
	char out[256], tiny[8];

	cr_assert(policy_check_owner(p, NULL, "1001", 4, "Octo-Org", "Hello.js", &d));
	(void)policy_check_owner(p, NULL, "9", 1, NULL, "ghost", &d);
	(void)policy_check_owner(p, NULL, "7", 1, "octo-org", "../x", &d);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = policy_repo_alias(p, cases[i].group, strlen(cases[i].group), out,
		    sizeof(out));

		cr_expect_eq(got, cases[i].alias != NULL, "%s", cases[i].group);
		if (got && cases[i].alias != NULL)
			cr_expect_str_eq(out, cases[i].alias, "%s", cases[i].group);
	}
	/* Only len bytes of the group count; an alias that does not fit is none. */
	cr_expect(policy_repo_alias(p, "/repositories/1001/issues", 18, out, sizeof(out)));
	cr_expect_not(policy_repo_alias(p, "/repositories/1001", 18, tiny, sizeof(tiny)));
	policy_free(p);
}

Test(policy, denial_quotes_odd_owner_bytes)
{
	struct policy *p = make_policy(false);
	struct policy_denial d;

	cr_assert_eq(rest(p, NULL, "/repos/\xff\"x/r", false, &d), POLICY_DENY);
	cr_expect(strstr(d.message, "'%FF%22x'") != NULL, "%s", d.message);
	policy_free(p);
}

Test(policy, empty_list_allows_nothing_owned)
{
	struct config cfg;
	struct policy *none;
	struct policy_denial d;

	memset(&cfg, 0, sizeof(cfg));
	none = policy_new(&cfg);
	cr_expect(policy_allows_none(none));
	cr_expect_eq(rest(none, NULL, "/repos/octo-org/x", false, &d), POLICY_DENY);
	cr_expect_eq(rest(none, NULL, "/meta", false, &d), POLICY_ALLOW);
	policy_free(none);
}

/* ------------------------------------------------------------------------
 * Clients
 * ---------------------------------------------------------------------- */

static char *team_owners[] = { "octo-org" };

static struct policy *
make_client_policy(bool all)
{
	static struct config_client clients[2];
	struct config cfg;

	make_config(&cfg, all);
	memset(clients, 0, sizeof(clients));
	clients[0].id = "team-a";
	clients[0].keys[0] = "key-a-0123456789abcdef";
	clients[0].keys[1] = "key-a-new-0123456789abcdef";
	clients[0].owners_set = true;
	clients[0].allowed_owners = team_owners;
	clients[0].n_allowed_owners = 1;
	clients[1].id = "ops";
	clients[1].keys[0] = "key-ops-0123456789abcdef";
	cfg.clients = clients;
	cfg.n_clients = 2;
	return policy_new(&cfg);
}

Test(policy, keys_identify_clients)
{
	struct policy *p = make_client_policy(false);
	const struct policy_client *c;
	const char *why = NULL;

	cr_expect_not(policy_authenticate(p, NULL, &c, &why));
	cr_expect_not_null(why);
	cr_expect_not(policy_authenticate(p, "", &c, &why));
	cr_expect_not(policy_authenticate(p, "key-a-0123456789abcde", &c, &why));
	cr_expect_not(policy_authenticate(p, "key-a-0123456789abcdefX", &c, &why));
	cr_assert(policy_authenticate(p, "key-a-0123456789abcdef", &c, &why));
	cr_expect_str_eq(policy_client_id(c), "team-a");
	cr_assert(policy_authenticate(p, "key-a-new-0123456789abcdef", &c, &why));
	cr_expect_str_eq(policy_client_id(c), "team-a");
	cr_assert(policy_authenticate(p, "key-ops-0123456789abcdef", &c, &why));
	cr_expect_str_eq(policy_client_id(c), "ops");
	policy_free(p);
}

Test(policy, no_clients_needs_no_key)
{
	struct policy *p = make_policy(false);
	const struct policy_client *c = (const void *)1;
	const char *why = NULL;

	cr_expect(policy_authenticate(p, NULL, &c, &why));
	cr_expect_null(c);
	cr_expect_null(policy_client_id(c));
	policy_free(p);
}

Test(policy, client_owners_narrow_the_global_list)
{
	struct policy *p = make_client_policy(false);
	const struct policy_client *team, *ops;
	struct policy_denial d;
	const char *why;

	cr_assert(policy_authenticate(p, "key-a-0123456789abcdef", &team, &why));
	cr_assert(policy_authenticate(p, "key-ops-0123456789abcdef", &ops, &why));
	cr_expect_eq(rest(p, team, "/repos/octo-org/hello", false, &d), POLICY_ALLOW);
	cr_expect_eq(rest(p, team, "/repos/alice/tools", false, &d), POLICY_DENY);
	cr_expect(strstr(d.message, "team-a") != NULL, "%s", d.message);
	cr_expect_eq(rest(p, ops, "/repos/alice/tools", false, &d), POLICY_ALLOW);
	cr_expect_eq(rest(p, team, "/search/issues?q=user:alice", false, &d), POLICY_DENY);
	cr_expect_eq(rest(p, team, "/repos/alice/tools/issues", true, &d), POLICY_DENY);
	policy_free(p);
	/* Under a global "*", a narrowed client still gets only its own. */
	p = make_client_policy(true);
	cr_assert(policy_authenticate(p, "key-a-0123456789abcdef", &team, &why));
	cr_expect_eq(rest(p, team, "/repos/evil/x", false, &d), POLICY_DENY);
	cr_expect_eq(rest(p, team, "/repositories/5", false, &d), POLICY_RESOLVE);
	cr_expect_eq(rest(p, team, "/search/issues?q=bug", false, &d), POLICY_DENY);
	policy_free(p);
}

Test(policy, stats_count_per_client_across_reloads)
{
	struct policy *p = make_client_policy(false);
	const struct policy_client *c;
	const char *why;
	struct config cfg;
	json_t *st;

	cr_assert(policy_authenticate(p, "key-ops-0123456789abcdef", &c, &why));
	policy_count(p, c, false);
	policy_count(p, c, true);
	make_config(&cfg, false);
	cfg.n_allowed_owners = 1;   /* a real change, with the same clients */
	{
		struct config_client cl = { 0 };

		cl.id = "ops";
		cl.keys[0] = "key-ops-0123456789abcdef";
		cfg.clients = &cl;
		cfg.n_clients = 1;
		policy_update(p, &cfg);
	}
	st = policy_stats(p);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(json_object_get(st,
	    "clients"), "ops"), "requests")), 2);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(json_object_get(st,
	    "clients"), "ops"), "denied")), 1);
	cr_expect_null(json_object_get(json_object_get(st, "clients"), "team-a"));
	json_decref(st);
	/* The old client struct stays readable after the reload. */
	cr_expect_str_eq(policy_client_id(c), "ops");
	cr_expect_not(policy_authenticate(p, "key-a-0123456789abcdef", &c, &why));
	policy_free(p);
}

/* ------------------------------------------------------------------------
 * GraphQL
 * ---------------------------------------------------------------------- */

/* Judges a document with variables (JSON text or NULL); returns the rule
 * that denied it, or NULL; the owners on allow go to *owners. */
static const char *
gq(struct policy *p, const struct policy_client *c, const char *doc, const char *vars,
    char **owners)
{
	static struct policy_denial d;
	json_t *v = vars ? json_loads(vars, 0, NULL) : NULL;
	struct gql_fields f;
	const char *err = NULL, *rule = NULL;
	char *o = NULL;

	cr_assert_eq(gql_root_fields(doc, strlen(doc), NULL, v, &f, &err), 0, "%s: %s", doc, err);
	if (!policy_check_graphql(p, c, &f, &o, &d))
		rule = d.rule;
	if (owners != NULL)
		*owners = o;
	else
		free(o);
	gql_fields_clear(&f);
	json_decref(v);
	return rule;
}

static const struct {
	const char *doc;
	const char *vars;
	const char *rule;     /* NULL: allowed */
} gq_cases[] = {
	{ "{ repository(owner: \"octo-org\", name: \"hello\") { id } }", NULL, NULL },
	{ "{ repository(owner: \"OCTO-ORG\", name: \"hello\") { id } }", NULL, NULL },
	{ "{ repository(owner: \"evil\", name: \"x\") { id } }", NULL, "owner" },
	{ "{ a: repository(owner: \"octo-org\", name: \"h\") { id } b: repository(owner: \"evil\", name: \"x\") { id } }", NULL, "owner" },
	{ "query($o: String!) { repository(owner: $o, name: \"x\") { id } }", "{\"o\": \"alice\"}", NULL },
	{ "query($o: String!) { repository(owner: $o, name: \"x\") { id } }", "{\"o\": \"evil\"}", "owner" },
	{ "query($o: String = \"evil\") { repository(owner: $o, name: \"x\") { id } }", NULL, "owner" },
	{ "query($o: String) { repository(owner: $o, name: \"x\") { id } }", NULL, "graphql_field" },
	{ "query($o: String) { repository(owner: $o, name: \"x\") { id } }", "{\"o\": 5}", "graphql_field" },
	{ "{ repository(name: \"x\") { id } }", NULL, "graphql_field" },
	{ "{ repository(owner: \"octo-org\", owner: \"evil\", name: \"x\") { id } }", NULL, "owner" },
	{ "{ ...F } fragment F on Query { repository(owner: \"evil\", name: \"x\") { id } }", NULL, "owner" },
	{ "{ ... on Query { organization(login: \"evil\") { id } } }", NULL, "owner" },
	{ "{ organization(login: \"octo-org\") { id } user(login: \"alice\") { id } }", NULL, NULL },
	{ "{ repositoryOwner(login: \"evil\") { id } }", NULL, "owner" },
	{ "{ search(query: \"repo:octo-org/hello is:open\", type: ISSUE, first: 5) { issueCount } }", NULL, NULL },
	{ "{ search(query: \"is:open\", type: ISSUE, first: 5) { issueCount } }", NULL, "search" },
	{ "{ search(query: \"repo:evil/x\", type: ISSUE, first: 5) { issueCount } }", NULL, "search" },
	{ "{ rateLimit { remaining } __typename }", NULL, NULL },
	{ "{ __type(name: \"Repository\") { fields { name } } }", NULL, NULL },
	{ "{ __schema { types { name } } }", NULL, NULL },
	{ "{ viewer { login } }", NULL, "identity" },
	{ "{ me: viewer { login } }", NULL, "identity" },
	{ "{ resource(url: \"https://github.com/octo-org/hello\") { __typename } }", NULL, "graphql_field" },
	{ "{ licenses { key } }", NULL, "graphql_field" },
	{ "{ node(id: \"never-served\") { id } }", NULL, "graphql_node" },
	{ "{ nodes(ids: [\"never-served\"]) { id } }", NULL, "graphql_node" },
	{ "{ node { id } }", NULL, "graphql_node" },
};

Test(policy, graphql_table)
{
	struct policy *p = make_policy(false);

	for (size_t i = 0; i < sizeof(gq_cases) / sizeof(gq_cases[0]); i++) {
		const char *rule = gq(p, NULL, gq_cases[i].doc, gq_cases[i].vars, NULL);

		if (gq_cases[i].rule == NULL)
			cr_expect_null(rule, "%s: denied by %s", gq_cases[i].doc, rule);
		else
			cr_expect(rule != NULL && strcmp(rule, gq_cases[i].rule) == 0,
			    "%s: expected %s, got %s", gq_cases[i].doc, gq_cases[i].rule,
			    rule ? rule : "allowed");
	}
	policy_free(p);
}

Test(policy, graphql_star_allows_owners_not_viewer)
{
	struct policy *p = make_policy(true);

	cr_expect_null(gq(p, NULL, "{ repository(owner: \"evil\", name: \"x\") { id } }", NULL, NULL));
	cr_expect_null(gq(p, NULL, "{ node(id: \"anything\") { id } }", NULL, NULL));
	cr_expect_str_eq(gq(p, NULL, "{ viewer { login } }", NULL, NULL), "identity");
	cr_expect_str_eq(gq(p, NULL, "{ resource(url: \"x\") { __typename } }", NULL, NULL),
	    "graphql_field");
	policy_free(p);
}

/* Node ids are allowed once served in an answer about allowed owners,
 * and only to clients who may read every one of those owners. */
Test(policy, graphql_nodes_seen)
{
	static const char answer[] =
	    "{\"data\":{\"repository\":{\"id\":\"R_1\",\"issues\":{\"nodes\":"
	    "[{\"id\":\"I_1\",\"title\":\"x\"},{\"id\":\"I_2\",\"author\":{\"id\":\"U_9\"}}]}}}}";
	struct policy *p = make_client_policy(false);
	const struct policy_client *team, *ops;
	const char *why;
	char *owners = NULL;

	cr_assert(policy_authenticate(p, "key-a-0123456789abcdef", &team, &why));
	cr_assert(policy_authenticate(p, "key-ops-0123456789abcdef", &ops, &why));
	cr_assert_null(gq(p, ops, "{ a: repository(owner: \"Alice\", name: \"t\") { id } "
	    "b: repository(owner: \"octo-org\", name: \"h\") { id } }", NULL, &owners));
	cr_assert_not_null(owners);
	cr_expect_str_eq(owners, "alice,octo-org");
	policy_learn_nodes(p, owners, answer, strlen(answer));
	free(owners);
	cr_expect_null(gq(p, ops, "{ node(id: \"I_2\") { id } }", NULL, NULL));
	cr_expect_null(gq(p, ops, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
	    "{\"ids\": [\"R_1\", \"U_9\"]}", NULL));
	cr_expect_null(gq(p, ops, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
	    "{\"ids\": \"I_1\"}", NULL));
	cr_expect_str_eq(gq(p, ops, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
	    "{\"ids\": [\"R_1\", \"nope\"]}", NULL), "graphql_node");
	/* team-a may read octo-org but not alice: the answer was about both. */
	cr_expect_str_eq(gq(p, team, "{ node(id: \"I_1\") { id } }", NULL, NULL), "graphql_node");
	/* A lookup's answer is about the owners of the ids it looked up. */
	cr_assert_null(gq(p, ops, "{ node(id: \"I_1\") { id } }", NULL, &owners));
	cr_expect_str_eq(owners, "alice,octo-org");
	free(owners);
	/* An answer where something else is aliased "id" teaches nothing. */
	cr_assert_null(gq(p, ops, "{ repository(owner: \"alice\", name: \"t\") { ...F } } "
	    "fragment F on Repository { id: name }", NULL, &owners));
	cr_expect_null(owners);
	cr_assert_null(gq(p, ops, "{ repository(owner: \"alice\", name: \"t\") { id: id } }",
	    NULL, &owners));
	cr_expect_not_null(owners);
	free(owners);
	policy_free(p);
}

Test(policy, graphql_node_modes)
{
	struct config cfg;
	struct policy *p;

	make_config(&cfg, false);
	cfg.policy.node_lookup = CONFIG_NODE_DENY;
	p = policy_new(&cfg);
	cr_expect_str_eq(gq(p, NULL, "{ node(id: \"x\") { id } }", NULL, NULL), "graphql_node");
	cfg.policy.node_lookup = CONFIG_NODE_ALLOW;
	policy_update(p, &cfg);
	cr_expect_null(gq(p, NULL, "{ node(id: \"x\") { id } }", NULL, NULL));
	cr_expect_not(policy_passthrough_denied(p));
	cfg.policy.passthrough_denied_reads = true;
	policy_update(p, &cfg);
	cr_expect(policy_passthrough_denied(p));
	policy_free(p);
}

/* Answers with a field not tied to owners teach nothing: otherwise an
 * unrestricted client could plant other owners' ids for a narrowed one. */
Test(policy, graphql_unbound_answers_teach_nothing)
{
	static const char *const docs[] = {
		"{ repository(owner: \"octo-org\", name: \"h\") { id } search(query: \"secret\", type: ISSUE, first: 5) { issueCount } }",
		"{ repository(owner: \"octo-org\", name: \"h\") { id } search(query: \"repo:octo-org/h\", type: USER, first: 5) { userCount } }",
		"{ repository(owner: \"octo-org\", name: \"h\") { id } node(id: \"R_1004\") { id } }",
	};
	struct policy *p = make_client_policy(true);
	const struct policy_client *ops;
	const char *why;
	char *owners;

	cr_assert(policy_authenticate(p, "key-ops-0123456789abcdef", &ops, &why));
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		owners = (char *)1;
		cr_assert_null(gq(p, ops, docs[i], NULL, &owners), "%s", docs[i]);
		cr_expect_null(owners, "%s: learns for %s", docs[i], owners);
	}
	policy_free(p);
}

/*
 * ghp - a drop-in gh for agents behind ghpool.
 *
 * Reads ghp can answer go to ghpool's REST API (pooled, cached); every
 * other command, and any read ghpool cannot answer, becomes the real gh
 * with the same arguments. ghp never writes anything itself.
 */
#include "api.h"
#include "ghp.h"
#include "ghtime.h"
#include "realgh.h"
#include "table.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GHP_DEFAULT_URL "http://localhost:8080"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv, const struct ghp_env *e);
} ghp_commands[] = {
	{ "issue", issue_main },
	{ "pr", pr_main },
	{ "run", run_main },
	{ "repo", repo_main },
	{ "release", release_main },
};

/* GHPOOL_URL without trailing slashes (malloc'd). */
static char *
ghp_base_url(void)
{
	const char *env = getenv("GHPOOL_URL");
	char *u = strdup(env != NULL && *env != '\0' ? env : GHP_DEFAULT_URL);
	size_t n = strlen(u);

	while (n > 0 && u[n - 1] == '/')
		u[--n] = '\0';
	return u;
}

/* gh's rules: GH_FORCE_TTY forces the terminal layout (a number sets the
 * width, "<p>%" a share of it); colour needs a terminal without NO_COLOR
 * or CLICOLOR=0, unless CLICOLOR_FORCE. */
static void
ghp_env_init(struct ghp_env *e, const char *base)
{
	const char *force = getenv("GH_FORCE_TTY"), *v;
	int measured = table_terminal_width();

	memset(e, 0, sizeof(*e));
	e->client.base = base;
	e->client.key = getenv("GHPOOL_KEY");
	if (e->client.key != NULL && *e->client.key == '\0')
		e->client.key = NULL;
	e->tty = isatty(STDOUT_FILENO) || (force != NULL && *force != '\0');
	e->width = measured;
	if (force != NULL && *force != '\0') {
		long n = strtol(force, NULL, 10);

		if (n > 0 && n <= 10000)
			e->width = force[strlen(force) - 1] == '%' ? (int)(measured * n / 100) : (int)n;
	}
	if ((v = getenv("CLICOLOR_FORCE")) != NULL && *v != '\0' && strcmp(v, "0") != 0)
		e->color = true;
	else
		e->color = e->tty && !((v = getenv("NO_COLOR")) != NULL && *v != '\0') &&
		    !((v = getenv("CLICOLOR")) != NULL && strcmp(v, "0") == 0);
	e->now = ghtime_now();
}

int
main(int argc, char **argv)
{
	struct ghp_env e;
	char *base;
	int rc = GHP_FALLTHROUGH;

	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("ghp version %s\n", GHPOOL_VERSION);
		fflush(stdout);
		realgh_exec(argv);
		return 0;   /* no real gh: ours is the whole answer */
	}
	if (argc < 2) {
		realgh_exec(argv);
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "ghp: cannot start libcurl\n");
		return 1;
	}
	base = ghp_base_url();
	ghp_env_init(&e, base);
	if (strcmp(argv[1], "api") == 0)
		rc = api_main(argc - 1, argv + 1, &e);
	for (size_t i = 0; i < sizeof(ghp_commands) / sizeof(ghp_commands[0]); i++)
		if (strcmp(argv[1], ghp_commands[i].name) == 0)
			rc = ghp_commands[i].run(argc - 1, argv + 1, &e);
	fflush(stdout);
	free(base);
	curl_global_cleanup();
	if (rc != GHP_FALLTHROUGH)
		return rc;
	realgh_exec(argv);
	return 1;
}

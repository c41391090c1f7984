/*
 * ghp - a drop-in gh for agents behind ghpool.
 *
 * Reads ghp can answer go to ghpool's REST API (pooled, cached); every
 * other command, and any read ghpool cannot answer, becomes the real gh
 * with the same arguments. ghp never writes anything itself.
 */
#include "api.h"
#include "realgh.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GHP_DEFAULT_URL "http://localhost:8080"

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

int
main(int argc, char **argv)
{
	const char *key = getenv("GHPOOL_KEY");
	char *base;
	int rc = GHP_FALLTHROUGH;

	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("ghp version %s\n", GHPOOL_VERSION);
		fflush(stdout);
		realgh_exec(argv);
		return 0;   /* no real gh: ours is the whole answer */
	}
	if (argc >= 2 && strcmp(argv[1], "api") == 0) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fprintf(stderr, "ghp: cannot start libcurl\n");
			return 1;
		}
		base = ghp_base_url();
		rc = api_main(argc - 1, argv + 1, base, key && *key ? key : NULL);
		free(base);
		curl_global_cleanup();
	}
	if (rc != GHP_FALLTHROUGH)
		return rc;
	realgh_exec(argv);
	return 1;
}

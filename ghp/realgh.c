/*
 * realgh.c - finding and running the real gh.
 *
 * ghp is often installed as "gh" ahead of the real one on PATH, so "gh on
 * PATH" may be ghp itself: candidates are compared with our own resolved
 * path, never by name.
 */
#include "realgh.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Is path an executable file other than this program? */
static bool
realgh_usable(const char *path, const char *self)
{
	char resolved[PATH_MAX];

	if (access(path, X_OK) != 0 || realpath(path, resolved) == NULL)
		return false;
	return self == NULL || strcmp(resolved, self) != 0;
}

/* First name on PATH that is usable, into out. */
static bool
realgh_search_path(const char *name, const char *self, char *out, size_t outlen)
{
	const char *path = getenv("PATH"), *p, *end;

	if (path == NULL)
		return false;
	for (p = path; ; p = end + 1) {
		size_t n;

		end = strchr(p, ':');
		n = end ? (size_t)(end - p) : strlen(p);
		/* An empty PATH element means the current directory. */
		if (snprintf(out, outlen, "%.*s/%s", (int)n, n ? p : ".", name) < (int)outlen &&
		    realgh_usable(out, self))
			return true;
		if (end == NULL)
			return false;
	}
}

int
realgh_find(char *out, size_t outlen)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *me = NULL;

	if (n > 0) {
		self[n] = '\0';
		me = self;
	}
	if (realgh_search_path("gh-real", me, out, outlen) ||
	    realgh_search_path("gh", me, out, outlen))
		return 0;
	if (realgh_usable("/usr/bin/gh", me)) {
		snprintf(out, outlen, "/usr/bin/gh");
		return 0;
	}
	return -1;
}

void
realgh_exec(char **argv)
{
	char path[PATH_MAX];

	if (realgh_find(path, sizeof(path)) != 0) {
		fprintf(stderr, "ghp: cannot find the real gh to run this command: install gh, or "
		    "put it on PATH as gh-real (ghp answers only reads itself)\n");
		return;
	}
	fflush(stdout);
	execv(path, argv);
	fprintf(stderr, "ghp: cannot run %s: %s\n", path, strerror(errno));
}

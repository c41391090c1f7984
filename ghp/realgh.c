/*
 * realgh.c - finding and running the real gh.
 *
 * ghp is often installed as "gh" ahead of the real one on PATH, so "gh on
 * PATH" may be ghp itself: candidates are compared with this program by
 * device and inode (hard links and symlinks included), never by name. Two
 * copies of ghp could still hand a command to each other forever, so each
 * hand-over counts itself in the environment and a deep chain stops.
 */
#include "realgh.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REALGH_DEPTH_VAR "GHP_HANDOVER_DEPTH"
/* gh extensions and aliases may run gh again, legitimately; a loop of
 * ghp copies passes any depth, so a small bound separates the two. */
#define REALGH_MAX_DEPTH 8

struct realgh_self {
	bool known;
	dev_t dev;
	ino_t ino;
};

/* Is path an executable file other than this program? */
static bool
realgh_usable(const char *path, const struct realgh_self *self)
{
	struct stat st;

	if (access(path, X_OK) != 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	return !self->known || st.st_dev != self->dev || st.st_ino != self->ino;
}

/* First name on PATH that is usable, into out. Empty PATH elements (the
 * current directory) are skipped: a checkout must not supply our gh. */
static bool
realgh_search_path(const char *name, const struct realgh_self *self, char *out, size_t outlen)
{
	const char *path = getenv("PATH"), *p, *end;

	if (path == NULL)
		return false;
	for (p = path; ; p = end + 1) {
		size_t n;

		end = strchr(p, ':');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n > 0 && snprintf(out, outlen, "%.*s/%s", (int)n, p, name) < (int)outlen &&
		    realgh_usable(out, self))
			return true;
		if (end == NULL)
			return false;
	}
}

/* This program's file: /proc/self/exe, else argv[0] as the shell found it. */
static void
realgh_find_self(const char *argv0, struct realgh_self *self)
{
	char found[PATH_MAX];
	struct stat st;
	struct realgh_self none = { false, 0, 0 };

	self->known = false;
	if (stat("/proc/self/exe", &st) == 0) {
		*self = (struct realgh_self){ true, st.st_dev, st.st_ino };
		return;
	}
	if (argv0 == NULL)
		return;
	if (strchr(argv0, '/') != NULL) {
		if (stat(argv0, &st) == 0)
			*self = (struct realgh_self){ true, st.st_dev, st.st_ino };
		return;
	}
	if (realgh_search_path(argv0, &none, found, sizeof(found)) && stat(found, &st) == 0)
		*self = (struct realgh_self){ true, st.st_dev, st.st_ino };
}

static int
realgh_find_as(const char *argv0, char *out, size_t outlen)
{
	struct realgh_self self;

	realgh_find_self(argv0, &self);
	if (realgh_search_path("gh-real", &self, out, outlen) ||
	    realgh_search_path("gh", &self, out, outlen))
		return 0;
	if (realgh_usable("/usr/bin/gh", &self)) {
		snprintf(out, outlen, "/usr/bin/gh");
		return 0;
	}
	return -1;
}

int
realgh_find(char *out, size_t outlen)
{
	return realgh_find_as(NULL, out, outlen);
}

void
realgh_exec(char **argv)
{
	const char *d = getenv(REALGH_DEPTH_VAR);
	long depth = d != NULL ? strtol(d, NULL, 10) : 0;
	char path[PATH_MAX], next[24];

	if (depth < 0 || depth >= REALGH_MAX_DEPTH) {
		fprintf(stderr, "ghp: the real gh found on PATH hands commands back to ghp (a loop of "
		    "%ld hand-overs): put the real gh on PATH as gh-real\n", depth);
		return;
	}
	if (realgh_find_as(argv[0], path, sizeof(path)) != 0) {
		fprintf(stderr, "ghp: cannot find the real gh to run this command: install gh, or "
		    "put it on PATH as gh-real (ghp answers only reads itself)\n");
		return;
	}
	snprintf(next, sizeof(next), "%ld", depth + 1);
	setenv(REALGH_DEPTH_VAR, next, 1);
	fflush(stdout);
	execv(path, argv);
	fprintf(stderr, "ghp: cannot run %s: %s\n", path, strerror(errno));
}

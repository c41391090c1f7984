/*
 * gitrepo.c - asking git, and reading its remote URLs.
 */
#include "gitrepo.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

/* One line of a git command's output (stderr discarded); -1 on failure. */
static int
gitrepo_run(const char *cmd, char *out, size_t outlen)
{
	FILE *p = popen(cmd, "r");
	size_t n;
	int st;

	if (p == NULL)
		return -1;
	if (fgets(out, (int)outlen, p) == NULL)
		out[0] = '\0';
	st = pclose(p);
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return st == 0 && n > 0 ? 0 : -1;
}

static bool
gitrepo_name_ok(const char *s, size_t n, bool repo)
{
	if (n == 0 || n > 100)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    !(repo && (s[i] == '.' || s[i] == '_')))
			return false;
	return true;
}

int
gitrepo_parse_url(const char *url, char *owner, size_t olen, char *repo, size_t rlen)
{
	const char *path, *slash, *p;
	size_t n;

	/* scheme://[user@]host[:port]/owner/repo, or user@host:owner/repo */
	if ((p = strstr(url, "://")) != NULL) {
		path = strchr(p + 3, '/');
	} else {
		path = strchr(url, ':');
		if (path != NULL && strchr(url, '/') != NULL && strchr(url, '/') < path)
			return -1;   /* a local path, not scp-like */
	}
	if (path == NULL)
		return -1;
	path++;
	while (*path == '/')
		path++;
	if ((slash = strchr(path, '/')) == NULL)
		return -1;
	n = strlen(slash + 1);
	while (n > 0 && slash[n] == '/')
		n--;
	if (n >= 4 && strncmp(slash + 1 + n - 4, ".git", 4) == 0)
		n -= 4;
	if (!gitrepo_name_ok(path, (size_t)(slash - path), false) ||
	    !gitrepo_name_ok(slash + 1, n, true) || memchr(slash + 1, '/', n) != NULL)
		return -1;
	if ((size_t)(slash - path) >= olen || n >= rlen)
		return -1;
	snprintf(owner, olen, "%.*s", (int)(slash - path), path);
	snprintf(repo, rlen, "%.*s", (int)n, slash + 1);
	return 0;
}

/* gh's preference among remotes: upstream, github, origin, then the rest. */
static int
gitrepo_rank(const char *name)
{
	static const char *const order[] = { "upstream", "github", "origin" };

	for (int i = 0; i < 3; i++)
		if (strcasecmp(name, order[i]) == 0)
			return i;
	return 3;
}

int
gitrepo_current(char *owner, size_t olen, char *repo, size_t rlen)
{
	FILE *p = popen("git remote -v 2>/dev/null", "r");
	char line[2048], name[256], url[1536], kind[32];
	int best = 99;

	if (p == NULL)
		return -1;
	while (fgets(line, sizeof(line), p) != NULL) {
		char o[128], r[128];
		int rank;

		if (sscanf(line, "%255s %1535s %31s", name, url, kind) != 3 ||
		    strcmp(kind, "(fetch)") != 0)
			continue;
		rank = gitrepo_rank(name);
		if (rank < best && gitrepo_parse_url(url, o, sizeof(o), r, sizeof(r)) == 0) {
			best = rank;
			snprintf(owner, olen, "%s", o);
			snprintf(repo, rlen, "%s", r);
		}
	}
	pclose(p);
	return best == 99 ? -1 : 0;
}

int
gitrepo_branch(char *out, size_t outlen)
{
	return gitrepo_run("git symbolic-ref --quiet --short HEAD 2>/dev/null", out, outlen);
}

int
gitrepo_resolve(const char *flag, char *owner, size_t olen, char *repo, size_t rlen)
{
	const char *slash, *second;
	char url[1024];

	if (flag == NULL || *flag == '\0')
		flag = getenv("GH_REPO");
	if (flag == NULL || *flag == '\0') {
		if (gitrepo_current(owner, olen, repo, rlen) == 0)
			return 0;
		/* gh passes git's own complaint on, and adds a newline to it. */
		if (gitrepo_run("git rev-parse --git-dir 2>/dev/null", url, sizeof(url)) != 0)
			fprintf(stderr, "failed to run git: fatal: not a git repository (or any of "
			    "the parent directories): .git\n\n");
		else
			fprintf(stderr, "no git remotes found\n");
		return -1;
	}
	if (strstr(flag, "://") != NULL || strchr(flag, '@') != NULL) {
		if (gitrepo_parse_url(flag, owner, olen, repo, rlen) == 0)
			return 0;
	} else if ((slash = strchr(flag, '/')) != NULL) {
		/* OWNER/REPO, or HOST/OWNER/REPO */
		second = strchr(slash + 1, '/');
		snprintf(url, sizeof(url), "https://%s%s", second ? "" : "github.com/", flag);
		if (gitrepo_parse_url(url, owner, olen, repo, rlen) == 0)
			return 0;
	}
	fprintf(stderr, "expected the \"[HOST/]OWNER/REPO\" format, got \"%s\"\n", flag);
	return -1;
}

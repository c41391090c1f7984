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

bool
gitrepo_host_ok(const char *host, size_t len)
{
	const char *want = getenv("GHPOOL_HOST");
	size_t wlen;

	if (want == NULL || *want == '\0')
		want = "github.com";
	wlen = strlen(want);
	if (len > 4 && strncasecmp(host, "www.", 4) == 0) {
		host += 4;
		len -= 4;
	}
	/* GitHub's SSH-over-443 host is the same GitHub. */
	if (len == wlen + 4 && strncasecmp(host, "ssh.", 4) == 0 && strcasecmp(want, "github.com") == 0) {
		host += 4;
		len -= 4;
	}
	return len == wlen && strncasecmp(host, want, len) == 0;
}

int
gitrepo_parse_url(const char *url, char *owner, size_t olen, char *repo, size_t rlen)
{
	const char *path, *slash, *p, *host, *at;
	size_t n;

	/* scheme://[user@]host[:port]/owner/repo, or user@host:owner/repo */
	if ((p = strstr(url, "://")) != NULL) {
		host = p + 3;
		path = strchr(host, '/');
	} else {
		host = url;
		path = strchr(url, ':');
		if (path != NULL && strchr(url, '/') != NULL && strchr(url, '/') < path)
			return -1;   /* a local path, not scp-like */
	}
	if (path == NULL)
		return -1;
	/* Only the GitHub ghpool fronts: the same owner/repo elsewhere is
	 * someone else's repository. */
	if ((at = memchr(host, '@', (size_t)(path - host))) != NULL)
		host = at + 1;
	if (!gitrepo_host_ok(host, strcspn(host, ":/")))
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
	    !gitrepo_name_ok(slash + 1, n, true) || memchr(slash + 1, '/', n) != NULL ||
	    (n <= 2 && strspn(slash + 1, ".") >= n))
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
	bool any = false;

	while (fgets(line, sizeof(line), p) != NULL) {
		char o[128], r[128];
		int rank;

		if (sscanf(line, "%255s %1535s %31s", name, url, kind) != 3 ||
		    strcmp(kind, "(fetch)") != 0)
			continue;
		any = true;
		rank = gitrepo_rank(name);
		if (rank < best && gitrepo_parse_url(url, o, sizeof(o), r, sizeof(r)) == 0) {
			best = rank;
			snprintf(owner, olen, "%s", o);
			snprintf(repo, rlen, "%s", r);
		}
	}
	pclose(p);
	if (best == 99)
		return any ? -2 : -1;
	return 0;
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
		int rc = gitrepo_current(owner, olen, repo, rlen);

		if (rc == 0)
			return 0;
		/* gh passes git's own complaint on, and adds a newline to it. */
		if (rc == -2)
			fprintf(stderr, "none of the git remotes configured for this repository point to "
			    "a known GitHub host. To tell gh about a new GitHub host, please use `gh auth "
			    "login`\n");
		else if (gitrepo_run("git rev-parse --git-dir 2>/dev/null", url, sizeof(url)) != 0)
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

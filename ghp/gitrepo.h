/*
 * gitrepo: which GitHub repository a command is about, as gh finds it:
 * -R, else GH_REPO, else the checkout's remotes (upstream, github, origin,
 * then any other), in any URL form git accepts (https, ssh, scp-like);
 * and the current branch.
 */
#ifndef GHP_GITREPO_H
#define GHP_GITREPO_H

#include <stdbool.h>
#include <stddef.h>

/* Is host the GitHub ghpool fronts ($GHPOOL_HOST, default github.com;
 * www. and GitHub's ssh. host allowed)? */
bool gitrepo_host_ok(const char *host, size_t len);

/* owner and repo from a remote URL; -1 if it names no owner/repo on the
 * GitHub ghpool fronts. */
int gitrepo_parse_url(const char *url, char *owner, size_t olen, char *repo, size_t rlen);

/* The current checkout's preferred remote; -1 (nothing printed) if none,
 * -2 if remotes exist but none is on the GitHub ghpool fronts. */
int gitrepo_current(char *owner, size_t olen, char *repo, size_t rlen);

/* The repository a command is about: -R's value when given ("OWNER/REPO",
 * "HOST/OWNER/REPO" or a URL), else the checkout's. -1 after printing
 * gh's error to stderr. */
int gitrepo_resolve(const char *flag, char *owner, size_t olen, char *repo, size_t rlen);

/* The checked-out branch; -1 when detached or not a checkout. */
int gitrepo_branch(char *out, size_t outlen);

#endif

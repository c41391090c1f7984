/*
 * gitrepo: which GitHub repository the current directory is, as gh finds
 * it when -R is not given: the git checkout's "origin" remote URL, in any
 * of the forms git accepts (https, ssh, scp-like), and the current branch.
 */
#ifndef GHP_GITREPO_H
#define GHP_GITREPO_H

#include <stddef.h>

/* owner and repo from a remote URL; -1 if it names no owner/repo. */
int gitrepo_parse_url(const char *url, char *owner, size_t olen, char *repo, size_t rlen);

/* The current checkout's origin; -1 (nothing printed) when there is none. */
int gitrepo_current(char *owner, size_t olen, char *repo, size_t rlen);

/* The checked-out branch; -1 when detached or not a checkout. */
int gitrepo_branch(char *out, size_t outlen);

#endif

/*
 * realgh: the real gh, for everything ghp does not answer itself. Finds it
 * (gh-real on PATH, else the first gh on PATH that is not ghp, else
 * /usr/bin/gh) and replaces this process with it, so its exit code, output
 * and terminal handling are the user's.
 */
#ifndef GHP_REALGH_H
#define GHP_REALGH_H

#include <stddef.h>

/* The real gh's path in out; -1 when there is none. */
int realgh_find(char *out, size_t outlen);

/* Runs the real gh with argv (argv[0] included, kept as given). Returns
 * only when it cannot: after printing why; the caller exits 1. */
void realgh_exec(char **argv);

#endif

/*
 * ghp.h: what every ghp command shares: how to reach ghpool, and how gh
 * would decide to print (terminal or not, colour, width, the clock).
 * Each porcelain command answers itself or returns GHP_FALLTHROUGH for the
 * real gh.
 */
#ifndef GHP_GHP_H
#define GHP_GHP_H

#include "client.h"

#include <stdbool.h>
#include <time.h>

/* Returned instead of an exit code: run the real gh with the same argv. */
#define GHP_FALLTHROUGH (-2)

struct ghp_env {
	struct client client;
	bool tty;          /* stdout is a terminal, or GH_FORCE_TTY */
	bool color;        /* colour on: tty without NO_COLOR, or CLICOLOR_FORCE */
	int width;         /* terminal width (GH_FORCE_TTY=<n> sets it) */
	time_t now;        /* GHP_NOW for reproducible output, else the clock */
};

/* argv[0] is the command ("issue", ...); the return value is the exit code
 * or GHP_FALLTHROUGH. */
int issue_main(int argc, char **argv, const struct ghp_env *e);
int pr_main(int argc, char **argv, const struct ghp_env *e);
int run_main(int argc, char **argv, const struct ghp_env *e);
int repo_main(int argc, char **argv, const struct ghp_env *e);
int release_main(int argc, char **argv, const struct ghp_env *e);

#endif

/*
 * args.c - one flag or positional argument at a time.
 */
#include "args.h"

#include <stdbool.h>
#include <string.h>

static const struct args_flag *
args_find_long(const struct args_flag *flags, const char *name, size_t n)
{
	for (; flags->name != NULL; flags++)
		if (strlen(flags->name) == n && strncmp(flags->name, name, n) == 0)
			return flags;
	return NULL;
}

static const struct args_flag *
args_find_short(const struct args_flag *flags, char c)
{
	for (; flags->name != NULL; flags++)
		if (flags->shorthand != 0 && flags->shorthand == c)
			return flags;
	return NULL;
}

void
args_init(struct args *a, int argc, char **argv, int start)
{
	a->argc = argc;
	a->argv = argv;
	a->i = start;
	a->rest = false;
}

enum args_result
args_next(struct args *a, const struct args_flag *flags, int *id, const char **value)
{
	const struct args_flag *f;
	const char *s, *eq;

	if (a->i >= a->argc)
		return ARGS_END;
	s = a->argv[a->i++];
	if (a->rest || s[0] != '-' || s[1] == '\0') {
		*value = s;
		return ARGS_POSITIONAL;
	}
	if (strcmp(s, "--") == 0) {
		a->rest = true;
		return args_next(a, flags, id, value);
	}
	if (s[1] == '-') {
		eq = strchr(s + 2, '=');
		f = args_find_long(flags, s + 2, eq ? (size_t)(eq - s - 2) : strlen(s + 2));
		if (f == NULL)
			return ARGS_UNKNOWN;
		*id = f->id;
		if (!f->takes_value) {
			if (eq != NULL && strcmp(eq + 1, "true") != 0 && strcmp(eq + 1, "false") != 0)
				return ARGS_UNKNOWN;
			*value = eq ? eq + 1 : NULL;
			return ARGS_FLAG;
		}
		if (eq != NULL) {
			*value = eq + 1;
			return ARGS_FLAG;
		}
		if (a->i >= a->argc)
			return ARGS_UNKNOWN;
		*value = a->argv[a->i++];
		return ARGS_FLAG;
	}
	/* One short flag per argument: combined booleans (-ip) are rare in
	 * scripts and go to the real gh. */
	if ((f = args_find_short(flags, s[1])) == NULL)
		return ARGS_UNKNOWN;
	*id = f->id;
	if (!f->takes_value) {
		*value = NULL;
		return s[2] == '\0' ? ARGS_FLAG : ARGS_UNKNOWN;
	}
	if (s[2] != '\0') {
		*value = s + 2 + (s[2] == '=');
		return ARGS_FLAG;
	}
	if (a->i >= a->argc)
		return ARGS_UNKNOWN;
	*value = a->argv[a->i++];
	return ARGS_FLAG;
}

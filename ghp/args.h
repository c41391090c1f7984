/*
 * args: gh's flag syntax (pflag): --name value, --name=value, -x value,
 * -xvalue, -x=value, "--" ending flags, booleans as --name or
 * --name=true|false. A flag ghp does not know sends the whole command to
 * the real gh, so the parser reports it instead of guessing.
 */
#ifndef GHP_ARGS_H
#define GHP_ARGS_H

#include <stdbool.h>

struct args_flag {
	const char *name;     /* long name, without "--" */
	char shorthand;       /* 0 if none */
	bool takes_value;
	int id;
};

enum args_result {
	ARGS_FLAG,            /* *id and *value (NULL for booleans; "false" when =false) */
	ARGS_POSITIONAL,      /* *value */
	ARGS_END,
	ARGS_UNKNOWN,         /* a flag not in the table, or a malformed one */
};

struct args {
	int argc;
	char **argv;
	int i;                /* next to read */
	bool rest;            /* after "--": all positional */
};

void args_init(struct args *a, int argc, char **argv, int start);

/* Reads the next item. */
enum args_result args_next(struct args *a, const struct args_flag *flags, int *id,
    const char **value);

#endif

/*
 * api: `ghp api <endpoint>` for reads. A GET (with -X GET, -f/-F become
 * query parameters) goes to ghpool; --jq, --paginate, --slurp, -H,
 * -i/--include, --silent and {owner}/{repo}/{branch} placeholders behave
 * as in gh, and the output is what gh prints. Anything else (another
 * method, fields without -X GET, --input, templates, graphql, an
 * unknown flag) is the real gh's.
 */
#ifndef GHP_API_H
#define GHP_API_H

#include "ghp.h"

/* argv[0] is "api". Returns the exit code, or GHP_FALLTHROUGH. */
int api_main(int argc, char **argv, const struct ghp_env *e);

#endif

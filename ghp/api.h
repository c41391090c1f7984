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

/* Returned instead of an exit code: run the real gh with the same argv. */
#define GHP_FALLTHROUGH (-2)

/* argv[0] is "api". Returns the exit code, or GHP_FALLTHROUGH. */
int api_main(int argc, char **argv, const char *base_url, const char *key);

#endif

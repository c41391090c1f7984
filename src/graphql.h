/*
 * graphql: a POST /graphql request and its answer, as the proxy sees them.
 * Validates the JSON envelope ({query, variables?, operationName?}), asks
 * gql which operation would run, and derives the cache key of a query from
 * its normalised text, operationName and canonical variables. On the way
 * back it tells data from errors and from GitHub's RATE_LIMITED answer.
 */
#ifndef GHPOOL_GRAPHQL_H
#define GHPOOL_GRAPHQL_H

#include "gql.h"

#include <event2/buffer.h>
#include <stddef.h>

#define GRAPHQL_MAX_BODY (1024 * 1024)

struct graphql_request {
	struct gql_op op;        /* op.kind == GQL_QUERY: may run pooled */
	char *key_query;         /* "#op=<sha256 hex>" for cachekey_build; queries only */
	/* Queries: the root fields with variables resolved, for the policy;
	 * fields_error says why they could not be known (then deny). */
	struct gql_fields fields;
	const char *fields_error;
};

/*
 * Parses a request body (a repeated member is malformed). Returns 0, or the HTTP status to refuse it with
 * (400 malformed, 413 too large) and a message for the client in err.
 * On 0 the caller frees *out with graphql_request_clear().
 */
int graphql_request_parse(const char *body, size_t len, struct graphql_request *out,
    char *err, size_t errlen);
void graphql_request_clear(struct graphql_request *r);

enum graphql_answer {
	GRAPHQL_DATA,            /* a data object, no top-level errors: may be cached */
	GRAPHQL_ERRORS,          /* errors, no data object, or not JSON */
	GRAPHQL_RATE_LIMITED,    /* the identity's graphql budget is spent */
};

/* What a 200 answer's body says. */
enum graphql_answer graphql_answer_kind(struct evbuffer *body);

#endif

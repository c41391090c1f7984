/*
 * gql: which GraphQL operation a request would run, and whether it is
 * positively a query. Our own lexer and parser for executable documents
 * (GraphQL, October 2021 edition) pick the operation the way graphql-js's
 * getOperationAST() does; whatever cannot be proved is GQL_INVALID, so a
 * pooled token never runs a mutation. Also the document's canonical token
 * text, for cache keys.
 */
#ifndef GHPOOL_GQL_H
#define GHPOOL_GQL_H

#include <stddef.h>

/* Selection sets, list and object values and list types nested together. */
#define GQL_MAX_DEPTH 64

enum gql_kind { GQL_QUERY, GQL_MUTATION, GQL_SUBSCRIPTION, GQL_INVALID };

struct gql_op {
	enum gql_kind kind;	/* of the operation that will run; GQL_INVALID if none can */
	char name[128];		/* its name, "" if anonymous; longer names are cut to 127 bytes */
	const char *error;	/* static English message when kind == GQL_INVALID, else NULL */
};

/*
 * Classifies doc (len bytes, need not be NUL-terminated; a NUL makes it
 * invalid). operation_name is the request's operationName, NULL when absent
 * or JSON null. Linear in len; allocates only for documents with more than
 * a handful of named operations.
 */
void gql_classify(const char *doc, size_t len, const char *operation_name,
    struct gql_op *out);

/*
 * The document's tokens with comments, commas and insignificant white space
 * removed, separated by one space; strings and block strings keep their
 * exact source text. So `{ a, b } # hi` and `{a b}` both give "{ a b }".
 * Returns malloc'd NUL-terminated text (its length in *out_len when
 * out_len is not NULL), or NULL on a lexical error.
 */
char *gql_normalise(const char *doc, size_t len, size_t *out_len);

/* "query", "mutation", "subscription", "invalid". */
const char *gql_kind_name(enum gql_kind k);

#endif

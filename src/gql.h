/*
 * gql: which GraphQL operation a request would run, and whether it is
 * positively a query. Our own lexer and parser for executable documents
 * (GraphQL, October 2021 edition) pick the operation the way graphql-js's
 * getOperationAST() does; whatever cannot be proved is GQL_INVALID, so a
 * pooled token never runs a mutation. Also the document's canonical token
 * text, for cache keys, and the chosen operation's root fields with their
 * arguments, for the access policy.
 */
#ifndef GHPOOL_GQL_H
#define GHPOOL_GQL_H

#include <jansson.h>
#include <stdbool.h>
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

/*
 * One root field of the operation that would run, fragments expanded: what
 * the access policy reads to decide which owner a pooled token may serve.
 */
struct gql_arg {
	char *name;
	json_t *value;		/* resolved value, or NULL when it cannot be known */
};
struct gql_field {
	char *name;		/* the field's name, never its alias */
	struct gql_arg *args;
	size_t n_args;		/* every argument as written, duplicates included */
};
struct gql_fields {
	struct gql_field *v;
	size_t n;
	/* Somewhere in the document (any operation or fragment) a field that
	 * is not id is aliased "id": the answer's "id" members are not all
	 * ids GitHub issued. */
	bool id_alias;
};
#define GQL_MAX_ROOT_FIELDS 256

/*
 * The root fields of the operation gql_classify() would choose for
 * (doc, operation_name), with fragment spreads and inline fragments at the
 * root expanded (directives such as @skip/@include are ignored: every
 * field that could run is reported). variables is the request's
 * "variables" object (NULL or JSON null when absent). Returns 0 and fills
 * out (free with gql_fields_clear), or -1 with a static English message
 * in *err for anything it cannot prove: lexical or syntax errors, no
 * operation to run, an undeclared variable, an unknown fragment, more than
 * GQL_MAX_ROOT_FIELDS fields after expansion, or too much expansion work.
 * The work is bounded so that a small document cannot make it, or whoever
 * walks its result, run long: spreads and the fields and arguments they
 * copy count against 4096; every argument value together, as trees, is at
 * most 4 MiB of nodes and bytes (a variable used many times is shared, not
 * copied, but walked once per use); root fragments nest at most
 * GQL_MAX_DEPTH deep. A fragment that spreads itself at the root is an
 * error, as are duplicate fragment or variable names.
 *
 * Values are what the server would see, as far as the document alone can
 * tell: strings decoded (block strings dedented as the specification
 * says), Int as a JSON integer when it fits 64 bits, Float as a real,
 * true/false/null, lists and input objects built from their members, and
 * a variable as the request's value, else its declared default, else
 * JSON null. Anything else is NULL, and so is any list or object holding
 * one: an enum value (never a string), an Int beyond 64 bits, a Float
 * beyond a double, a string with U+0000 (a C string would stop short of
 * what the server reads), an input object naming a member twice. A value
 * may be shared with variables or with another argument: read only.
 * Defaults and variables are not coerced to their declared types: the
 * server may still turn "x" into ["x"] or an Int into an ID.
 */
int gql_root_fields(const char *doc, size_t len, const char *operation_name,
    const json_t *variables, struct gql_fields *out, const char **err);
void gql_fields_clear(struct gql_fields *f);

/* "query", "mutation", "subscription", "invalid". */
const char *gql_kind_name(enum gql_kind k);

#endif

/*
 * graphql.c - the JSON envelope of GraphQL requests and answers.
 *
 * Classification is gql's; this file only feeds it and keys the result.
 * Two requests share a cache entry when their documents have the same
 * tokens (comments, commas and layout aside), the same operationName and
 * the same variables (key order aside). null, absent and {} variables are
 * one: GitHub executes them alike.
 */
#include "graphql.h"
#include "util.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SHA-256 over the parts, each ended by a NUL so no two splits collide. */
static char *
graphql_key(const char *norm, size_t norm_len, const char *op_name, const char *vars)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *key;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, norm, norm_len + 1) != 1 ||
	    EVP_DigestUpdate(ctx, op_name, strlen(op_name) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, vars, strlen(vars) + 1) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	/* '#' never survives into a REST read's key (a fragment is refused),
	 * so no GET can ever name a GraphQL entry. */
	key = util_calloc(1, 4 + 2 * mdlen + 1);
	memcpy(key, "#op=", 4);
	util_hex_encode(md, mdlen, key + 4);
	return key;
}

int
graphql_request_parse(const char *body, size_t len, struct graphql_request *out,
    char *err, size_t errlen)
{
	json_t *doc = NULL, *query, *vars, *name;
	char *norm = NULL, *canon = NULL;
	size_t norm_len;
	int status = 400;

	memset(out, 0, sizeof(*out));
	if (len > GRAPHQL_MAX_BODY) {
		snprintf(err, errlen, "GraphQL request body is larger than 1 MiB");
		status = 413;
		goto done;
	}
	/* A repeated "query" could be read one way here and another upstream. */
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		snprintf(err, errlen, "Problems parsing JSON: the body must be a JSON object "
		    "with a \"query\" string");
		goto done;
	}
	query = json_object_get(doc, "query");
	vars = json_object_get(doc, "variables");
	name = json_object_get(doc, "operationName");
	if (!json_is_string(query)) {
		snprintf(err, errlen, "\"query\" must be a string holding a GraphQL document");
		goto done;
	}
	if (vars != NULL && !json_is_null(vars) && !json_is_object(vars)) {
		snprintf(err, errlen, "\"variables\" must be an object or null");
		goto done;
	}
	if (name != NULL && !json_is_null(name) && !json_is_string(name)) {
		snprintf(err, errlen, "\"operationName\" must be a string or null");
		goto done;
	}
	gql_classify(json_string_value(query), json_string_length(query),
	    json_string_value(name), &out->op);
	status = 0;
	if (out->op.kind != GQL_QUERY)
		goto done;
	if (gql_root_fields(json_string_value(query), json_string_length(query),
	    json_string_value(name), vars, &out->fields, &out->fields_error) != 0 &&
	    out->fields_error == NULL)
		out->fields_error = "the query's root fields could not be determined";
	norm = gql_normalise(json_string_value(query), json_string_length(query), &norm_len);
	canon = vars != NULL && json_object_size(vars) > 0 ?
	    json_dumps(vars, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) :
	    util_strdup("{}");
	if (norm == NULL || canon == NULL) {
		/* gql accepted what it cannot normalise: never share an entry. */
		out->op.kind = GQL_INVALID;
		out->op.error = "the document could not be normalised";
		goto done;
	}
	out->key_query = graphql_key(norm, norm_len, json_string_value(name) ?
	    json_string_value(name) : "", canon);
done:
	free(norm);
	free(canon);
	json_decref(doc);
	return status;
}

void
graphql_request_clear(struct graphql_request *r)
{
	free(r->key_query);
	r->key_query = NULL;
	gql_fields_clear(&r->fields);
}

enum graphql_answer
graphql_answer_kind(struct evbuffer *body)
{
	size_t len = evbuffer_get_length(body);
	const char *text = (const char *)evbuffer_pullup(body, -1);
	json_t *doc = text ? json_loadb(text, len, 0, NULL) : NULL;
	json_t *errors = json_object_get(doc, "errors"), *e;
	enum graphql_answer kind = GRAPHQL_DATA;
	size_t i;

	/* No data is no answer worth keeping, errors member or not. */
	if (!json_is_object(doc) || !json_is_object(json_object_get(doc, "data")))
		kind = GRAPHQL_ERRORS;
	else if (errors != NULL && !json_is_null(errors))
		kind = GRAPHQL_ERRORS;
	json_array_foreach(errors, i, e) {
		const char *type = json_string_value(json_object_get(e, "type"));

		if (type != NULL && strcmp(type, "RATE_LIMITED") == 0)
			kind = GRAPHQL_RATE_LIMITED;
	}
	json_decref(doc);
	return kind;
}

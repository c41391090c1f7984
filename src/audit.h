/*
 * audit: the record of every write that passed through ghpool. Each
 * passthrough (REST write, GraphQL mutation or other non-query) appends one
 * JSON line to the file named by `audit_log`: time, login, method, path or
 * GraphQL operation type and name, status, duration. Never a token, never
 * a GraphQL variable. Thread-safe; a NULL audit records nothing.
 */
#ifndef GHPOOL_AUDIT_H
#define GHPOOL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct audit;

struct audit_record {
	const char *login;        /* "-" when unknown */
	const char *client;       /* the [[clients]] id; NULL when none */
	const char *method;
	const char *path;         /* without the query */
	const char *op_type;      /* GraphQL: "mutation", ...; NULL for REST */
	const char *op_name;      /* GraphQL operation name; NULL if anonymous */
	int status;
	int64_t duration_ms;
};

/* Opens path for appending (created 0600). NULL with a message in err. */
struct audit *audit_open(const char *path, bool fsync_each, char *err, size_t errlen);
void audit_close(struct audit *a);

void audit_write(struct audit *a, const struct audit_record *r);

#endif

/*
 * audit.c - the audit file: one JSON object per line, appended.
 *
 * Each record is one write(2) on an O_APPEND descriptor, so records from
 * different worker threads never interleave. With audit_fsync each record
 * is also synced before the worker moves on: durable, at the price of a
 * disk flush per write on the worker's loop.
 */
#include "audit.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct audit {
	int fd;
	bool fsync_each;
	char *path;
};

struct audit *
audit_open(const char *path, bool fsync_each, char *err, size_t errlen)
{
	struct audit *a;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(err, errlen, "audit_log: cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	a = util_calloc(1, sizeof(*a));
	a->fd = fd;
	a->fsync_each = fsync_each;
	a->path = util_strdup(path);
	return a;
}

void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	close(a->fd);
	free(a->path);
	free(a);
}

void
audit_write(struct audit *a, const struct audit_record *r)
{
	char ts[32], *line;
	json_t *doc;
	size_t len;

	if (a == NULL)
		return;
	util_rfc3339(ts);
	doc = json_pack("{s:s,s:s,s:s,s:i,s:I}", "time", ts,
	    "login", r->login ? r->login : "-", "method", r->method,
	    "status", r->status, "duration_ms", (json_int_t)r->duration_ms);
	if (doc == NULL) {
		log_error("audit: a record could not be built (%s by %s)", r->method,
		    r->login ? r->login : "-");
		return;
	}
	if (r->client != NULL)
		json_object_set_new(doc, "client", json_string(r->client));
	if (r->op_type != NULL)
		json_object_set_new(doc, "operation", json_pack("{s:s,s:o}",
		    "type", r->op_type,
		    "name", r->op_name && *r->op_name ? json_string(r->op_name) : json_null()));
	else
		json_object_set_new(doc, "path", json_string(r->path));
	line = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (line == NULL) {
		log_error("audit: a record could not be encoded (%s %s)", r->method,
		    r->op_type ? r->op_type : "path");
		return;
	}
	len = strlen(line);
	line[len++] = '\n';   /* json_dumps leaves room: we replace its NUL */
	if (write(a->fd, line, len) != (ssize_t)len)
		log_error("audit: cannot append to %s: %s", a->path, strerror(errno));
	else if (a->fsync_each && fsync(a->fd) != 0)
		log_error("audit: cannot sync %s: %s", a->path, strerror(errno));
	free(line);
}

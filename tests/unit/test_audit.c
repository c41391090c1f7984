/*
 * test_audit.c - unit tests of src/audit.c: one JSON line per write that
 * passed through, appended to a file created 0600.
 *
 * Every test works in its own files under /tmp and removes them.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "leakcheck.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

/*
 * What this test made in /tmp. Each test removes its files; the suite's
 * fini also removes them when an assertion cut the test short.
 */
static char made_file[64], made_dir[64];

static void
remove_made(void)
{
	char log[128];

	if (made_file[0] != '\0')
		unlink(made_file);
	if (made_dir[0] != '\0') {
		snprintf(log, sizeof(log), "%s/audit.log", made_dir);
		unlink(log);
		rmdir(made_dir);
	}
}

TestSuite(audit, .fini = remove_made);

/* A fresh empty file in /tmp; its path in path (caller unlinks). */
static void
temp_file(char path[64])
{
	int fd;

	snprintf(path, 64, "/tmp/ghpool-ut-audit-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	close(fd);
	snprintf(made_file, sizeof(made_file), "%s", path);
}

/* A fresh directory in /tmp (caller removes). */
static void
temp_dir(char path[64])
{
	snprintf(path, 64, "/tmp/ghpool-ut-auditd-XXXXXX");
	cr_assert_not_null(mkdtemp(path), "mkdtemp: %s", strerror(errno));
	snprintf(made_dir, sizeof(made_dir), "%s", path);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/*
 * The file's records: every line must end with "\n" and be one JSON
 * object; no line may be empty. Returns a JSON array of the objects.
 */
static json_t *
read_records(const char *path)
{
	size_t len;
	char *text = slurp(path, &len), *p = text, *nl;
	json_t *all = json_array();

	cr_assert_eq(strlen(text), len, "%s holds a NUL", path);
	if (len > 0)
		cr_assert_eq(text[len - 1], '\n', "%s: the last record does not end with \\n", path);
	while ((nl = strchr(p, '\n')) != NULL) {
		json_error_t err;
		json_t *rec;

		cr_assert_gt(nl, p, "%s: an empty line", path);
		rec = json_loadb(p, (size_t)(nl - p), 0, &err);
		cr_assert_not_null(rec, "%s: '%.*s': %s", path, (int)(nl - p), p, err.text);
		cr_assert(json_is_object(rec), "%s: '%.*s' is not an object", path, (int)(nl - p), p);
		json_array_append_new(all, rec);
		p = nl + 1;
	}
	cr_assert_eq(*p, '\0', "%s: text after the last newline", path);
	free(text);
	return all;
}

static const char *
str(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);

	cr_assert(json_is_string(v), "\"%s\" is not a string", key);
	return json_string_value(v);
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ", UTC, within a minute of now. */
static void
expect_rfc3339_now(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	struct tm tm;
	time_t when, now = time(NULL);
	const char *end;

	cr_assert_eq(strlen(t), strlen(shape), "time '%s'", t);
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd')
			cr_assert(isdigit((unsigned char)t[i]), "time '%s' at %zu", t, i);
		else
			cr_assert_eq(t[i], shape[i], "time '%s' at %zu", t, i);
	memset(&tm, 0, sizeof(tm));
	end = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
	cr_assert_not_null(end, "time '%s' does not parse", t);
	cr_assert_eq(*end, '.');
	when = timegm(&tm);
	cr_expect_leq(when <= now ? now - when : when - now, 60, "time '%s' is not now", t);
}

/* The descriptors of this process open on path. */
static int
fds_on(const char *path, int *fd_out)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char link[PATH_MAX + 32], target[PATH_MAX];
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL) {
		ssize_t k;

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		k = readlink(link, target, sizeof(target) - 1);
		if (k < 0)
			continue;
		target[k] = '\0';
		if (strcmp(target, path) == 0) {
			n++;
			if (fd_out != NULL)
				*fd_out = atoi(e->d_name);
		}
	}
	closedir(d);
	return n;
}

static struct audit *
open_ok(const char *path, bool fsync_each)
{
	char err[512] = "";
	struct audit *a = audit_open(path, fsync_each, err, sizeof(err));

	cr_assert_not_null(a, "audit_open(%s): %s", path, err);
	return a;
}

/* ------------------------------------------------------------------------
 * Records
 * ---------------------------------------------------------------------- */

Test(audit, rest_and_graphql_records)
{
	char path[64];
	struct audit *a;
	json_t *recs, *r, *op;
	const struct audit_record rest = {
		.login = "alice", .method = "POST", .path = "/repos/o/r/issues",
		.status = 201, .duration_ms = 37,
	}, mutation = {
		.login = "bob", .method = "POST", .path = "/graphql",
		.op_type = "mutation", .op_name = "AddStar", .status = 200, .duration_ms = 5,
	}, anonymous = {
		.login = NULL, .method = "POST", .path = "/graphql",
		.op_type = "mutation", .op_name = NULL, .status = 502, .duration_ms = 0,
	}, empty_name = {
		.login = "dependabot[bot]", .method = "POST", .path = "/graphql",
		.op_type = "subscription", .op_name = "", .status = 403,
		.duration_ms = (int64_t)1 << 40,
	}, deleted = {
		.login = NULL, .method = "DELETE", .path = "/repos/o/r/issues/comments/9",
		.status = 204, .duration_ms = 12,
	};

	temp_file(path);
	a = open_ok(path, false);
	audit_write(a, &rest);
	audit_write(a, &mutation);
	audit_write(a, &anonymous);
	audit_write(a, &empty_name);
	audit_write(a, &deleted);
	audit_close(a);

	recs = read_records(path);
	cr_assert_eq(json_array_size(recs), 5, "one line per record");
	for (size_t i = 0; i < 5; i++) {
		r = json_array_get(recs, i);
		expect_rfc3339_now(str(r, "time"));
		cr_expect_eq(json_object_size(r), 6, "record %zu has %zu keys", i,
		    json_object_size(r));
		cr_expect(json_is_integer(json_object_get(r, "status")), "record %zu", i);
		cr_expect(json_is_integer(json_object_get(r, "duration_ms")), "record %zu", i);
	}

	r = json_array_get(recs, 0);
	cr_expect_str_eq(str(r, "login"), "alice");
	cr_expect_str_eq(str(r, "method"), "POST");
	cr_expect_str_eq(str(r, "path"), "/repos/o/r/issues");
	cr_expect_eq(json_integer_value(json_object_get(r, "status")), 201);
	cr_expect_eq(json_integer_value(json_object_get(r, "duration_ms")), 37);
	cr_expect_null(json_object_get(r, "operation"));

	r = json_array_get(recs, 1);
	cr_expect_str_eq(str(r, "login"), "bob");
	cr_expect_str_eq(str(r, "method"), "POST");
	cr_expect_null(json_object_get(r, "path"), "a GraphQL record names the operation");
	op = json_object_get(r, "operation");
	cr_assert(json_is_object(op));
	cr_expect_eq(json_object_size(op), 2);
	cr_expect_str_eq(str(op, "type"), "mutation");
	cr_expect_str_eq(str(op, "name"), "AddStar");
	cr_expect_eq(json_integer_value(json_object_get(r, "status")), 200);
	cr_expect_eq(json_integer_value(json_object_get(r, "duration_ms")), 5);

	r = json_array_get(recs, 2);
	cr_expect_str_eq(str(r, "login"), "-", "an unknown login is \"-\"");
	op = json_object_get(r, "operation");
	cr_assert(json_is_object(op));
	cr_expect_str_eq(str(op, "type"), "mutation");
	cr_expect(json_is_null(json_object_get(op, "name")), "an anonymous operation's name is null");
	cr_expect_eq(json_integer_value(json_object_get(r, "status")), 502);
	cr_expect_eq(json_integer_value(json_object_get(r, "duration_ms")), 0);

	r = json_array_get(recs, 3);
	cr_expect_str_eq(str(r, "login"), "dependabot[bot]");
	op = json_object_get(r, "operation");
	cr_assert(json_is_object(op));
	cr_expect_str_eq(str(op, "type"), "subscription");
	cr_expect(json_is_null(json_object_get(op, "name")), "an empty name is null");
	cr_expect_eq(json_integer_value(json_object_get(r, "status")), 403);
	cr_expect_eq(json_integer_value(json_object_get(r, "duration_ms")), (json_int_t)1 << 40);

	r = json_array_get(recs, 4);
	cr_expect_str_eq(str(r, "login"), "-");
	cr_expect_str_eq(str(r, "method"), "DELETE");
	cr_expect_str_eq(str(r, "path"), "/repos/o/r/issues/comments/9");
	cr_expect_eq(json_integer_value(json_object_get(r, "status")), 204);

	json_decref(recs);
	unlink(path);
}

Test(audit, time_comes_first)
{
	/* Readers (and grep) see the time at the start of each line. */
	char path[64];
	struct audit *a;
	const struct audit_record r = { .login = "a", .method = "PUT", .path = "/x",
		.status = 200, .duration_ms = 1 };
	size_t len;
	char *text;

	temp_file(path);
	a = open_ok(path, false);
	audit_write(a, &r);
	audit_close(a);
	text = slurp(path, &len);
	cr_expect_eq(strncmp(text, "{\"time\":\"", 9), 0, "%s", text);
	cr_expect_null(strchr(text, ' '), "compact: %s", text);
	free(text);
	unlink(path);
}

Test(audit, odd_characters_stay_on_one_line)
{
	char path[64];
	struct audit *a;
	json_t *recs;
	const struct audit_record r = {
		.login = "a\"b\nc", .method = "PATCH", .path = "/repos/o/r\n{\"x\":1}\r\n\t\\",
		.status = 200, .duration_ms = 3,
	}, g = {
		.login = "x", .method = "POST", .path = "/graphql", .op_type = "mutation",
		.op_name = "Line\nBreak", .status = 200, .duration_ms = 3,
	};

	temp_file(path);
	a = open_ok(path, false);
	audit_write(a, &r);
	audit_write(a, &g);
	audit_close(a);
	recs = read_records(path);
	cr_assert_eq(json_array_size(recs), 2);
	cr_expect_str_eq(str(json_array_get(recs, 0), "login"), "a\"b\nc");
	cr_expect_str_eq(str(json_array_get(recs, 0), "path"), "/repos/o/r\n{\"x\":1}\r\n\t\\");
	cr_expect_str_eq(str(json_object_get(json_array_get(recs, 1), "operation"), "name"),
	    "Line\nBreak");
	json_decref(recs);
	unlink(path);
}

Test(audit, each_record_is_written_at_once)
{
	/* No buffering: a record is in the file when audit_write returns. */
	char path[64];
	struct audit *a;
	json_t *recs;
	const struct audit_record r = { .login = "a", .method = "POST", .path = "/x",
		.status = 201, .duration_ms = 1 };

	temp_file(path);
	a = open_ok(path, false);
	for (size_t i = 1; i <= 3; i++) {
		audit_write(a, &r);
		recs = read_records(path);
		cr_expect_eq(json_array_size(recs), i);
		json_decref(recs);
	}
	audit_close(a);
	unlink(path);
}

Test(audit, fsync_mode)
{
	char path[64];
	struct audit *a;
	json_t *recs;
	struct audit_record r = { .login = "syncer", .method = "POST", .path = "/repos/o/r/pulls",
		.status = 201, .duration_ms = 8 };

	temp_file(path);
	a = open_ok(path, true);
	for (int i = 0; i < 4; i++) {
		r.status = 200 + i;
		audit_write(a, &r);
	}
	recs = read_records(path);
	cr_assert_eq(json_array_size(recs), 4);
	for (size_t i = 0; i < 4; i++) {
		cr_expect_str_eq(str(json_array_get(recs, i), "login"), "syncer");
		cr_expect_eq(json_integer_value(json_object_get(json_array_get(recs, i), "status")),
		    200 + (json_int_t)i);
	}
	json_decref(recs);
	audit_close(a);
	unlink(path);
}

Test(audit, reopening_appends)
{
	char path[64];
	struct audit *a;
	json_t *recs;
	struct audit_record r = { .login = "a", .method = "POST", .path = "/first",
		.status = 201, .duration_ms = 1 };

	temp_file(path);
	a = open_ok(path, false);
	audit_write(a, &r);
	audit_write(a, &r);
	audit_close(a);
	a = open_ok(path, true);
	r.path = "/second";
	audit_write(a, &r);
	audit_close(a);

	recs = read_records(path);
	cr_assert_eq(json_array_size(recs), 3);
	cr_expect_str_eq(str(json_array_get(recs, 0), "path"), "/first");
	cr_expect_str_eq(str(json_array_get(recs, 1), "path"), "/first");
	cr_expect_str_eq(str(json_array_get(recs, 2), "path"), "/second");
	json_decref(recs);
	unlink(path);
}

Test(audit, appends_after_what_others_wrote)
{
	/* O_APPEND: someone else's bytes at the end are never overwritten. */
	char path[64];
	struct audit *a;
	FILE *f;
	size_t len;
	char *text;
	const struct audit_record r = { .login = "a", .method = "POST", .path = "/x",
		.status = 201, .duration_ms = 1 };

	temp_file(path);
	a = open_ok(path, false);
	audit_write(a, &r);
	f = fopen(path, "a");
	cr_assert_not_null(f);
	fputs("{\"other\":true}\n", f);
	fclose(f);
	audit_write(a, &r);
	audit_close(a);
	text = slurp(path, &len);
	cr_expect_not_null(strstr(text, "\n{\"other\":true}\n{\"time\":"), "%s", text);
	free(text);
	unlink(path);
}

/* ------------------------------------------------------------------------
 * Opening and closing
 * ---------------------------------------------------------------------- */

Test(audit, created_0600)
{
	char dir[64], path[128];
	struct audit *a;
	struct stat st;
	mode_t old = umask(0);   /* so the mode is what open() asked for */

	temp_dir(dir);
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	a = open_ok(path, false);
	umask(old);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect(S_ISREG(st.st_mode));
	cr_expect_eq(st.st_mode & 07777, 0600, "mode %04o", (unsigned)(st.st_mode & 07777));
	cr_expect_eq(st.st_size, 0, "opening writes nothing");
	audit_close(a);
	unlink(path);
	rmdir(dir);
}

Test(audit, existing_file_is_not_truncated)
{
	char path[64];
	struct audit *a;
	FILE *f;
	size_t len;
	char *text;

	temp_file(path);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("{\"earlier\":1}\n", f);
	fclose(f);
	a = open_ok(path, false);
	audit_close(a);
	text = slurp(path, &len);
	cr_expect_str_eq(text, "{\"earlier\":1}\n");
	free(text);
	unlink(path);
}

Test(audit, close_on_exec_and_close_releases)
{
	char path[64];
	struct audit *a;
	int fd = -1, flags;

	temp_file(path);
	cr_assert_eq(fds_on(path, NULL), 0);
	a = open_ok(path, false);
	cr_assert_eq(fds_on(path, &fd), 1, "one descriptor on the audit file");
	flags = fcntl(fd, F_GETFD);
	cr_expect(flags >= 0 && (flags & FD_CLOEXEC), "the descriptor is close-on-exec");
	flags = fcntl(fd, F_GETFL);
	cr_expect(flags >= 0 && (flags & O_APPEND), "the descriptor appends");
	cr_expect_eq(flags & O_ACCMODE, O_WRONLY);
	audit_close(a);
	cr_expect_eq(fds_on(path, NULL), 0, "audit_close closes the file");
	unlink(path);
}

Test(audit, open_a_directory_fails)
{
	char dir[64], err[512];
	struct audit *a;

	temp_dir(dir);
	memset(err, 0, sizeof(err));
	a = audit_open(dir, false, err, sizeof(err));
	cr_expect_null(a);
	cr_expect_not_null(strstr(err, dir), "'%s' does not name %s", err, dir);
	cr_expect_not_null(strstr(err, "audit_log"), "'%s'", err);
	cr_expect_not_null(strstr(err, "directory"), "'%s' does not say why", err);
	audit_close(a);
	rmdir(dir);
}

Test(audit, open_in_a_missing_directory_fails)
{
	char dir[64], path[160], err[512];
	struct audit *a;
	struct stat st;

	temp_dir(dir);
	snprintf(path, sizeof(path), "%s/no/such/dir/audit.log", dir);
	memset(err, 0, sizeof(err));
	a = audit_open(path, true, err, sizeof(err));
	cr_expect_null(a);
	cr_expect_not_null(strstr(err, path), "'%s' does not name %s", err, path);
	cr_expect_not_null(strstr(err, "No such file"), "'%s' does not say why", err);
	cr_expect_neq(stat(path, &st), 0, "nothing created");
	audit_close(a);
	rmdir(dir);
}

Test(audit, open_failure_message_fits)
{
	char err[16];

	memset(err, 'x', sizeof(err));
	cr_expect_null(audit_open("/nonexistent-ghpool-dir/a/b/c/audit.log", false, err,
	    sizeof(err)));
	cr_expect_lt(strnlen(err, sizeof(err)), sizeof(err), "the message is cut, NUL-terminated");
}

Test(audit, null_audit_records_nothing)
{
	char path[64];
	struct audit *a;
	json_t *recs;
	const struct audit_record r = { .login = "a", .method = "POST", .path = "/x",
		.status = 201, .duration_ms = 1 };
	const struct audit_record empty = { 0 };

	temp_file(path);
	a = open_ok(path, false);
	audit_write(a, &r);
	audit_write(NULL, &r);
	audit_write(NULL, &empty);   /* not even looked at */
	audit_close(NULL);
	audit_write(a, &r);
	audit_close(a);
	recs = read_records(path);
	cr_expect_eq(json_array_size(recs), 2);
	json_decref(recs);
	unlink(path);
}

/* ------------------------------------------------------------------------
 * Threads: records never interleave
 * ---------------------------------------------------------------------- */

#define THREADS 8
#define PER_THREAD 400

struct writer {
	struct audit *a;
	int id;
	char login[32];
	char *path;
};

static void *
write_many(void *arg)
{
	struct writer *w = arg;
	struct audit_record r = { .login = w->login, .method = "POST", .path = w->path,
		.status = 201 };

	for (int i = 0; i < PER_THREAD; i++) {
		r.duration_ms = i;
		audit_write(w->a, &r);
	}
	return NULL;
}

Test(audit, threads_never_interleave)
{
	char path[64];
	struct writer w[THREADS];
	pthread_t t[THREADS];
	int seen[THREADS][PER_THREAD];
	struct audit *a;
	json_t *recs, *rec;
	size_t i;

	temp_file(path);
	a = open_ok(path, false);
	memset(seen, 0, sizeof(seen));
	for (int k = 0; k < THREADS; k++) {
		/* long lines make a torn write likely to show */
		size_t plen = 2000 + 500 * (size_t)k;

		w[k].a = a;
		w[k].id = k;
		snprintf(w[k].login, sizeof(w[k].login), "writer-%d", k);
		w[k].path = malloc(plen + 1);
		cr_assert_not_null(w[k].path);
		w[k].path[0] = '/';
		memset(w[k].path + 1, 'a' + k, plen - 1);
		w[k].path[plen] = '\0';
		cr_assert_eq(pthread_create(&t[k], NULL, write_many, &w[k]), 0);
	}
	for (int k = 0; k < THREADS; k++)
		pthread_join(t[k], NULL);
	audit_close(a);

	recs = read_records(path);
	cr_assert_eq(json_array_size(recs), THREADS * PER_THREAD);
	json_array_foreach(recs, i, rec) {
		int k, n;

		cr_assert_eq(sscanf(str(rec, "login"), "writer-%d", &k), 1);
		cr_assert(k >= 0 && k < THREADS);
		cr_assert_str_eq(str(rec, "path"), w[k].path, "record %zu torn", i);
		n = (int)json_integer_value(json_object_get(rec, "duration_ms"));
		cr_assert(n >= 0 && n < PER_THREAD);
		seen[k][n]++;
	}
	for (int k = 0; k < THREADS; k++)
		for (int n = 0; n < PER_THREAD; n++)
			cr_expect_eq(seen[k][n], 1, "writer %d record %d seen %d times", k, n,
			    seen[k][n]);
	for (int k = 0; k < THREADS; k++)
		free(w[k].path);
	json_decref(recs);
	unlink(path);
}

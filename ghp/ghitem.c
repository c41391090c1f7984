/*
 * ghitem.c - shapes, texts and requests shared by `issue` and `pr`.
 */
#include "ghitem.h"
#include "gitrepo.h"
#include "cmdutil.h"
#include "export.h"
#include "ghtime.h"
#include "http.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
ghitem_ctx_init(struct ghitem_ctx *c, const struct ghp_env *e)
{
	memset(c, 0, sizeof(*c));
	c->e = e;
	c->names = json_object();
}

void
ghitem_ctx_free(struct ghitem_ctx *c)
{
	json_decref(c->names);
	c->names = NULL;
}

/* --- requests ----------------------------------------------------------------- */

static int
ghitem_status(enum client_status st)
{
	if (st == CLIENT_OK)
		return 0;
	return st == CLIENT_UNAVAILABLE ? GHP_FALLTHROUGH : -1;
}

int
ghitem_get(struct ghitem_ctx *c, const char *path, const char *accept, bool raw, json_t **out,
    struct client_error *err)
{
	*out = NULL;
	return ghitem_status(client_get(&c->e->client, path, accept, raw, out, err));
}

int
ghitem_list(struct ghitem_ctx *c, const char *path, const char *items_key, long limit,
    json_t **out, long *total, struct client_error *err)
{
	*out = NULL;
	return ghitem_status(client_list(&c->e->client, path, items_key, limit, out, total, err));
}

int
ghitem_search_count(struct ghitem_ctx *c, const char *q, long *total, struct client_error *err)
{
	char *enc = ghitem_urlencode(q), *path = NULL;
	json_t *doc = NULL;
	int rc;

	if (asprintf(&path, "/search/issues?q=%s&per_page=1", enc) < 0)
		path = NULL;
	rc = path ? ghitem_get(c, path, NULL, false, &doc, err) : -1;
	*total = (long)ghitem_num(doc, "total_count", LONG_MAX);
	json_decref(doc);
	free(path);
	free(enc);
	return rc;
}

/* The page number in the URL of the Link header's rel="last"; 0 if none. */
static long
ghitem_last_page(const char *link)
{
	const char *rel, *open, *close, *p;

	if (link == NULL || (rel = strstr(link, "rel=\"last\"")) == NULL)
		return 0;
	/* the <url> of the entry rel="last" belongs to */
	for (open = rel; open > link && *open != '<'; open--)
		;
	if (*open != '<' || (close = strchr(open, '>')) == NULL || close > rel)
		return 0;
	for (p = open; p < close; p++) {
		if ((*p == '?' || *p == '&') && strncmp(p + 1, "page=", 5) == 0) {
			long n = 0;

			for (p += 6; p < close && isdigit((unsigned char)*p); p++) {
				if (n > (LONG_MAX - 9) / 10)
					return 0;
				n = n * 10 + (*p - '0');
			}
			return n;
		}
	}
	return 0;
}

int
ghitem_count_pages(struct ghitem_ctx *c, const char *path, long *total, struct client_error *err)
{
	struct http_answer a;
	char *url = NULL, *hdr = NULL, *h[1], why[256];
	size_t nh = 0;
	int rc = 0;
	json_t *doc;

	*total = 0;
	if (asprintf(&url, "%s%s%cper_page=1", c->e->client.base, path,
	    strchr(path, '?') ? '&' : '?') < 0)
		return GHP_FALLTHROUGH;
	if (c->e->client.key != NULL && asprintf(&hdr, "X-Ghpool-Key: %s", c->e->client.key) >= 0)
		h[nh++] = hdr;
	if (http_get(url, h, nh, &a, why, sizeof(why)) != 0) {
		rc = GHP_FALLTHROUGH;
		goto done;
	}
	if (a.status >= 500) {
		rc = GHP_FALLTHROUGH;
	} else if (a.status >= 300) {
		doc = json_loadb(a.body, a.len, 0, NULL);
		err->status = a.status;
		snprintf(err->message, sizeof(err->message), "%s",
		    *ghitem_str(doc, "message") ? ghitem_str(doc, "message") : "HTTP error");
		json_decref(doc);
		rc = -1;
	} else {
		doc = json_loadb(a.body, a.len, 0, NULL);
		if (json_array_size(doc) > 0) {
			long last = ghitem_last_page(http_find(&a, "Link"));

			*total = last > 0 ? last : 1;
		}
		json_decref(doc);
	}
	http_answer_free(&a);
done:
	free(hdr);
	free(url);
	return rc;
}

int
ghitem_fail(struct ghitem_ctx *c, int rc, const struct client_error *err, const char *path,
    const char *notfound)
{
	if (rc == GHP_FALLTHROUGH)
		return rc;
	if (err->status == 404 && notfound != NULL) {
		char repo_path[2 * GHITEM_NAME_MAX + 16];
		struct client_error e2;
		json_t *r = NULL;
		int r2;

		snprintf(repo_path, sizeof(repo_path), "/repos/%s/%s", c->owner, c->repo);
		r2 = ghitem_get(c, repo_path, NULL, false, &r, &e2);
		json_decref(r);
		if (r2 == GHP_FALLTHROUGH)
			return r2;
		if (r2 == -1 && e2.status == 404)
			fprintf(stderr, "GraphQL: Could not resolve to a Repository with the name "
			    "'%s/%s'. (repository)\n", c->owner, c->repo);
		else
			fprintf(stderr, "%s\n", notfound);
		return 1;
	}
	return cmdutil_fail(CLIENT_HTTP_ERROR, err, "", path);
}

/* --- values from the wire ------------------------------------------------------ */

const char *
ghitem_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

bool
ghitem_bool(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

long long
ghitem_num(const json_t *o, const char *key, long long max)
{
	json_t *v = json_object_get(o, key);
	json_int_t n;

	if (!json_is_integer(v))
		return 0;
	n = json_integer_value(v);
	return n >= 0 && n <= max ? (long long)n : 0;
}

time_t
ghitem_when(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? ghtime_parse(s) : (time_t)-1;
}

json_t *
ghitem_time(const json_t *o, const char *key, bool zero)
{
	time_t t = ghitem_when(o, key);
	char buf[64];

	if (t == (time_t)-1)
		return zero ? json_string("0001-01-01T00:00:00Z") : json_null();
	ghtime_rfc3339(t, buf, sizeof(buf));
	return json_string(buf);
}

bool
ghitem_is_bot(const json_t *user)
{
	return strcmp(ghitem_str(user, "type"), "Bot") == 0;
}

const char *
ghitem_login(const json_t *user, char *buf, size_t len)
{
	const char *login = ghitem_str(user, "login");
	size_t n = strlen(login);

	if (ghitem_is_bot(user) && n >= 5 && strcmp(login + n - 5, "[bot]") == 0)
		n -= 5;
	/* GitHub logins are short; a longer one is cut on a character
	 * boundary, so it stays valid UTF-8 (a JSON key must be). */
	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)login[n] & 0xc0) == 0x80)
			n--;
	}
	snprintf(buf, len, "%.*s", (int)n, login);
	return buf;
}

/* --- JSON shapes ------------------------------------------------------------------ */

int
ghitem_user_name(struct ghitem_ctx *c, const char *login, const char **name,
    struct client_error *err)
{
	json_t *known = json_object_get(c->names, login), *doc = NULL;
	char *enc, *path = NULL;
	int rc;

	if (known != NULL) {
		*name = json_string_value(known);
		return 0;
	}
	enc = ghitem_urlencode(login);
	if (asprintf(&path, "/users/%s", enc) < 0)
		path = NULL;
	free(enc);
	rc = path ? ghitem_get(c, path, NULL, false, &doc, err) : -1;
	free(path);
	/* A user GitHub no longer knows has no name to show, not an error. */
	if (rc == -1 && err->status == 404)
		rc = 0;
	if (rc != 0)
		return rc;
	json_object_set_new(c->names, login, json_string(ghitem_str(doc, "name")));
	json_decref(doc);
	*name = json_string_value(json_object_get(c->names, login));
	return 0;
}

int
ghitem_actor(struct ghitem_ctx *c, const json_t *user, bool with_name, json_t **out,
    struct client_error *err)
{
	char login[256], app[300];
	const char *name = "";
	json_t *o;
	int rc;

	*out = NULL;
	if (!json_is_object(user)) {
		*out = json_null();
		return 0;
	}
	ghitem_login(user, login, sizeof(login));
	o = json_object();
	if (ghitem_is_bot(user)) {
		snprintf(app, sizeof(app), "app/%s", login);
		json_object_set_new(o, "is_bot", json_true());
		json_object_set_new(o, "login", json_string(app));
		*out = o;
		return 0;
	}
	if (with_name && (rc = ghitem_user_name(c, login, &name, err)) != 0) {
		json_decref(o);
		return rc;
	}
	json_object_set_new(o, "id", json_string(ghitem_str(user, "node_id")));
	json_object_set_new(o, "is_bot", json_false());
	json_object_set_new(o, "login", json_string(login));
	json_object_set_new(o, "name", json_string(name));
	*out = o;
	return 0;
}

int
ghitem_users(struct ghitem_ctx *c, const json_t *users, json_t **out, struct client_error *err)
{
	json_t *arr = json_array(), *u;
	size_t i;
	int rc;

	json_array_foreach(users, i, u) {
		const char *name = "";
		char login[256];
		json_t *o;

		ghitem_login(u, login, sizeof(login));
		if ((rc = ghitem_user_name(c, login, &name, err)) != 0) {
			json_decref(arr);
			*out = NULL;
			return rc;
		}
		o = json_object();
		json_object_set_new(o, "id", json_string(ghitem_str(u, "node_id")));
		json_object_set_new(o, "login", json_string(login));
		json_object_set_new(o, "name", json_string(name));
		json_array_append_new(arr, o);
	}
	*out = arr;
	return 0;
}

json_t *
ghitem_labels(const json_t *labels)
{
	json_t *arr = json_array(), *l;
	size_t i;

	json_array_foreach(labels, i, l) {
		json_t *o = json_object();

		json_object_set_new(o, "id", json_string(ghitem_str(l, "node_id")));
		json_object_set_new(o, "name", json_string(ghitem_str(l, "name")));
		json_object_set_new(o, "description", json_string(ghitem_str(l, "description")));
		json_object_set_new(o, "color", json_string(ghitem_str(l, "color")));
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *
ghitem_milestone(const json_t *m)
{
	json_t *o;

	if (!json_is_object(m))
		return json_null();
	o = json_object();
	json_object_set_new(o, "number", json_integer(ghitem_num(m, "number", INT32_MAX)));
	json_object_set_new(o, "title", json_string(ghitem_str(m, "title")));
	json_object_set_new(o, "description", json_string(ghitem_str(m, "description")));
	json_object_set_new(o, "dueOn", ghitem_time(m, "due_on", false));
	return o;
}

/* REST's reaction keys in GitHub's order, with gh's names and emoji. */
static const struct {
	const char *rest, *content, *emoji;
} ghitem_reaction_kinds[] = {
	{ "+1", "THUMBS_UP", "\xf0\x9f\x91\x8d" },
	{ "-1", "THUMBS_DOWN", "\xf0\x9f\x91\x8e" },
	{ "laugh", "LAUGH", "\xf0\x9f\x98\x84" },
	{ "hooray", "HOORAY", "\xf0\x9f\x8e\x89" },
	{ "confused", "CONFUSED", "\xf0\x9f\x98\x95" },
	{ "heart", "HEART", "\xe2\x9d\xa4\xef\xb8\x8f" },
	{ "rocket", "ROCKET", "\xf0\x9f\x9a\x80" },
	{ "eyes", "EYES", "\xf0\x9f\x91\x80" },
};

json_t *
ghitem_reactions(const json_t *reactions)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < sizeof(ghitem_reaction_kinds) / sizeof(ghitem_reaction_kinds[0]); i++) {
		long long n = ghitem_num(reactions, ghitem_reaction_kinds[i].rest, INT32_MAX);
		json_t *o;

		if (n == 0)
			continue;
		o = json_object();
		json_object_set_new(o, "content", json_string(ghitem_reaction_kinds[i].content));
		json_object_set_new(o, "users", json_pack("{s:I}", "totalCount", (json_int_t)n));
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *
ghitem_comments_json(const json_t *raw)
{
	json_t *arr = json_array(), *cm;
	size_t i;

	json_array_foreach(raw, i, cm) {
		json_t *o = json_object(), *user = json_object_get(cm, "user");
		char login[256];

		json_object_set_new(o, "id", json_string(ghitem_str(cm, "node_id")));
		json_object_set_new(o, "author", json_pack("{s:s}", "login",
		    ghitem_login(user, login, sizeof(login))));
		json_object_set_new(o, "authorAssociation",
		    json_string(ghitem_str(cm, "author_association")));
		json_object_set_new(o, "body", json_string(ghitem_str(cm, "body")));
		json_object_set_new(o, "createdAt", ghitem_time(cm, "created_at", true));
		/* No REST source for these three (spec §5.1). */
		json_object_set_new(o, "includesCreatedEdit", json_false());
		json_object_set_new(o, "isMinimized", json_false());
		json_object_set_new(o, "minimizedReason", json_string(""));
		json_object_set_new(o, "reactionGroups",
		    ghitem_reactions(json_object_get(cm, "reactions")));
		if (*ghitem_str(cm, "html_url"))
			json_object_set_new(o, "url", json_string(ghitem_str(cm, "html_url")));
		/* ghpool answers with a pooled identity, never the user's own. */
		json_object_set_new(o, "viewerDidAuthor", json_false());
		json_array_append_new(arr, o);
	}
	return arr;
}

int
ghitem_comments(struct ghitem_ctx *c, long n, long limit, json_t **out,
    struct client_error *err)
{
	char path[2 * GHITEM_NAME_MAX + 64];

	snprintf(path, sizeof(path), "/repos/%s/%s/issues/%ld/comments", c->owner, c->repo, n);
	return ghitem_list(c, path, NULL, limit, out, NULL, err);
}

int
ghitem_view_comments(struct ghitem_ctx *c, long n, long count, bool all, json_t **out,
    struct client_error *err)
{
	char path[2 * GHITEM_NAME_MAX + 96];
	int rc;

	*out = NULL;
	if (!all && count > 0) {
		snprintf(path, sizeof(path), "/repos/%s/%s/issues/%ld/comments?per_page=1&page=%ld",
		    c->owner, c->repo, n, count);
		if ((rc = ghitem_get(c, path, NULL, false, out, err)) != 0)
			return rc;
		if (json_array_size(*out) == 1)
			return 0;
		/* the count was stale: fall back to the whole list */
		json_decref(*out);
		*out = NULL;
	}
	return ghitem_comments(c, n, 0, out, err);
}

int
ghitem_common_fields(struct ghitem_ctx *c, const json_t *item, const json_t *comments,
    const struct export_opts *ex, json_t *obj, struct client_error *err)
{
	char state[32];
	json_t *v;
	int rc;

	if (export_wants(ex, "assignees")) {
		if ((rc = ghitem_users(c, json_object_get(item, "assignees"), &v, err)) != 0)
			return rc;
		json_object_set_new(obj, "assignees", v);
	}
	if (export_wants(ex, "author")) {
		if ((rc = ghitem_actor(c, json_object_get(item, "user"), true, &v, err)) != 0)
			return rc;
		json_object_set_new(obj, "author", v);
	}
	ghitem_upper(state, sizeof(state), ghitem_str(item, "state"));
	json_object_set_new(obj, "body", json_string(ghitem_str(item, "body")));
	json_object_set_new(obj, "closed", json_boolean(strcmp(state, "CLOSED") == 0));
	json_object_set_new(obj, "closedAt", ghitem_time(item, "closed_at", false));
	if (export_wants(ex, "comments"))
		json_object_set_new(obj, "comments", ghitem_comments_json(comments));
	json_object_set_new(obj, "createdAt", ghitem_time(item, "created_at", true));
	json_object_set_new(obj, "id", json_string(ghitem_str(item, "node_id")));
	json_object_set_new(obj, "labels", ghitem_labels(json_object_get(item, "labels")));
	json_object_set_new(obj, "milestone", ghitem_milestone(json_object_get(item, "milestone")));
	json_object_set_new(obj, "number", json_integer(ghitem_num(item, "number", INT32_MAX)));
	/* Classic projects are gone and v2 items are GraphQL-only (spec §5.1). */
	json_object_set_new(obj, "projectCards", json_array());
	json_object_set_new(obj, "projectItems", json_array());
	json_object_set_new(obj, "reactionGroups",
	    ghitem_reactions(json_object_get(item, "reactions")));
	json_object_set_new(obj, "state", json_string(state));
	json_object_set_new(obj, "title", json_string(ghitem_str(item, "title")));
	json_object_set_new(obj, "updatedAt", ghitem_time(item, "updated_at", true));
	json_object_set_new(obj, "url", json_string(ghitem_str(item, "html_url")));
	return 0;
}

/* --- text ----------------------------------------------------------------------- */

static bool
ghitem_env_has(const char *name, const char *needle)
{
	const char *v = getenv(name);

	return v != NULL && strstr(v, needle) != NULL;
}

static bool
ghitem_truecolor(void)
{
	return ghitem_env_has("COLORTERM", "truecolor") || ghitem_env_has("COLORTERM", "24bit");
}

void
ghitem_paint(FILE *f, const struct ghp_env *e, const char *style, const char *text)
{
	static const struct {
		const char *name, *sgr;
	} styles[] = {
		{ "green", "0;32" }, { "red", "0;31" }, { "yellow", "0;33" },
		{ "magenta", "0;35" }, { "cyan", "0;36" }, { "blue", "0;34" },
		{ "bold", "0;1;39" }, { "cyanbold", "0;1;36" },
	};

	if (!e->color) {
		fputs(text, f);
		return;
	}
	if (strcmp(style, "gray") == 0) {
		if (ghitem_env_has("TERM", "256") || ghitem_truecolor())
			fprintf(f, "\x1b[38;5;242m%s\x1b[m", text);
		else
			fprintf(f, "\x1b[0;90m%s\x1b[0m", text);
		return;
	}
	for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++) {
		if (strcmp(styles[i].name, style) == 0) {
			fprintf(f, "\x1b[%sm%s\x1b[0m", styles[i].sgr, text);
			return;
		}
	}
	fputs(text, f);
}

void
ghitem_paint_label(FILE *f, const struct ghp_env *e, const json_t *label)
{
	const char *name = ghitem_str(label, "name"), *hex = ghitem_str(label, "color");
	unsigned r, g, b;
	size_t n = strspn(hex, "0123456789abcdefABCDEF");

	if (!e->color || !ghitem_truecolor() || n != 6 || hex[6] != '\0' ||
	    sscanf(hex, "%2x%2x%2x", &r, &g, &b) != 3) {
		fputs(name, f);
		return;
	}
	fprintf(f, "\x1b[38;2;%u;%u;%um%s\x1b[0m", r, g, b, name);
}

/* RE2's \s: what gh's whitespace regexps match. */
static bool
ghitem_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r';
}

char *
ghitem_collapse(const char *s)
{
	size_t n = strlen(s);
	char *out, *o;

	/* strings.TrimSpace, then each run of \s becomes one space */
	while (isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	out = o = malloc(n + 1);
	for (size_t i = 0; i < n;) {
		if (ghitem_space(s[i])) {
			while (i < n && ghitem_space(s[i]))
				i++;
			*o++ = ' ';
			continue;
		}
		*o++ = s[i++];
	}
	*o = '\0';
	return out;
}

void
ghitem_plural(char *out, size_t len, long n, const char *word)
{
	snprintf(out, len, "%ld %s%s", n, word, n == 1 ? "" : "s");
}

void
ghitem_ago_abbr(time_t now, time_t t, char *out, size_t len)
{
	long ago = (long)(now - t);
	struct tm tm;

	if (ago < 3600) {
		snprintf(out, len, "%ldm", ago / 60);
	} else if (ago < 86400) {
		snprintf(out, len, "%ldh", ago / 3600);
	} else if (ago < 30L * 86400) {
		snprintf(out, len, "%ldd", ago / 86400);
	} else {
		gmtime_r(&t, &tm);
		strftime(out, len, "%b %e, %Y", &tm);
	}
}

void
ghitem_upper(char *out, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	if (len > 0)
		out[i] = '\0';
}

/* One UTF-8 sequence at s: its code point and length; U+FFFD, 1 when invalid. */
static uint32_t
ghitem_rune(const unsigned char *s, size_t *len)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		*len = 1;
		return 0xfffd;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*len = 1;
			return 0xfffd;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		*len = 1;
		return 0xfffd;
	}
	*len = n;
	return cp;
}

void
ghitem_goquote(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t n;
		uint32_t cp = ghitem_rune(p, &n);

		if (cp == 0xfffd && n == 1 && *p >= 0x80)
			fprintf(f, "\\x%02x", *p);
		else if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p == '\r')
			fputs("\\r", f);
		else if (cp < 0x20 || cp == 0x7f)
			fprintf(f, "\\x%02x", (unsigned)cp);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

char *
ghitem_urlencode(const char *s)
{
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~')
			*o++ = (char)ch;
		else
			o += sprintf(o, "%%%02X", ch);
	}
	*o = '\0';
	return out;
}

/* Go's strings.ToLower order for the ASCII that label names are made of. */
static int
ghitem_label_cmp(const json_t *a, const json_t *b)
{
	return strcasecmp(ghitem_str(a, "name"), ghitem_str(b, "name"));
}

void
ghitem_label_list(FILE *f, const struct ghp_env *e, const json_t *labels, bool sorted,
    bool paint)
{
	size_t n = json_array_size(labels), i, j;
	const json_t **v = malloc((n ? n : 1) * sizeof(*v));

	for (i = 0; i < n; i++)
		v[i] = json_array_get(labels, i);
	/* insertion sort: stable, as gh's sort.SliceStable */
	for (i = 1; sorted && i < n; i++) {
		const json_t *x = v[i];

		for (j = i; j > 0 && ghitem_label_cmp(v[j - 1], x) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputs(", ", f);
		if (paint)
			ghitem_paint_label(f, e, v[i]);
		else
			fputs(ghitem_str(v[i], "name"), f);
	}
	free(v);
}

void
ghitem_assignee_list(FILE *f, const json_t *assignees)
{
	json_t *u;
	size_t i;
	char login[256];

	/* REST sends every assignee, so gh's ", …" for a cut list never applies. */
	json_array_foreach(assignees, i, u)
		fprintf(f, "%s%s", i ? ", " : "", ghitem_login(u, login, sizeof(login)));
}

bool
ghitem_reaction_line(FILE *f, const json_t *reactions)
{
	bool any = false;

	for (size_t i = 0; i < sizeof(ghitem_reaction_kinds) / sizeof(ghitem_reaction_kinds[0]); i++) {
		long long n = ghitem_num(reactions, ghitem_reaction_kinds[i].rest, INT32_MAX);

		if (n == 0)
			continue;
		fprintf(f, "%s%lld %s", any ? " \xe2\x80\xa2 " : "", n, ghitem_reaction_kinds[i].emoji);
		any = true;
	}
	return any;
}

void
ghitem_view_body(FILE *f, const struct ghp_env *e, const char *body)
{
	fputc('\n', f);
	if (*body == '\0') {
		fputs("\n  ", f);
		ghitem_paint(f, e, "gray", "No description provided");
		fputs("\n\n", f);
	} else {
		ghitem_markdown(f, body, e->width);
	}
	fputc('\n', f);
}

/* Columns a code point takes: East Asian wide and emoji ranges count 2. */
static int
ghitem_rune_width(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
	    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

/* reflow's word wrap (the one glamour uses): words move to the next line
 * when they would pass limit; '\n' is kept; '-' is a breakpoint. */
struct ghitem_wrap {
	FILE *out;
	char *word, *space;
	size_t word_len, space_len;   /* bytes */
	int word_w, line_w, limit;
};

static void
ghitem_wrap_space(struct ghitem_wrap *w)
{
	w->line_w += (int)w->space_len;
	fwrite(w->space, 1, w->space_len, w->out);
	w->space_len = 0;
}

static void
ghitem_wrap_word(struct ghitem_wrap *w)
{
	if (w->word_len == 0)
		return;
	ghitem_wrap_space(w);
	w->line_w += w->word_w;
	fwrite(w->word, 1, w->word_len, w->out);
	w->word_len = 0;
	w->word_w = 0;
}

static void
ghitem_wrap_newline(struct ghitem_wrap *w)
{
	fputc('\n', w->out);
	w->line_w = 0;
	w->space_len = 0;
}

/* The wrapped text of one paragraph (malloc'd). */
static char *
ghitem_wrap_text(const char *text, int limit)
{
	struct ghitem_wrap w = { 0 };
	size_t cap = strlen(text) + 1, outlen = 0;
	const unsigned char *p = (const unsigned char *)text;
	char *out = NULL;

	w.out = open_memstream(&out, &outlen);
	w.word = malloc(cap);
	w.space = malloc(cap);
	w.limit = limit;
	while (*p) {
		size_t n;
		uint32_t cp = ghitem_rune(p, &n);

		if (cp == '\n') {
			if (w.word_len == 0) {
				if (w.line_w + (int)w.space_len > w.limit)
					w.line_w = 0;
				else
					fwrite(w.space, 1, w.space_len, w.out);
				w.space_len = 0;
			}
			ghitem_wrap_word(&w);
			ghitem_wrap_newline(&w);
		} else if (cp == ' ' || cp == '\t') {
			ghitem_wrap_word(&w);
			memcpy(w.space + w.space_len, p, n);
			w.space_len += n;
		} else if (cp == '-') {
			ghitem_wrap_space(&w);
			ghitem_wrap_word(&w);
			fputc('-', w.out);
		} else {
			memcpy(w.word + w.word_len, p, n);
			w.word_len += n;
			w.word_w += ghitem_rune_width(cp);
			if (w.line_w + (int)w.space_len + w.word_w > w.limit && w.word_w < w.limit)
				ghitem_wrap_newline(&w);
		}
		p += n;
	}
	ghitem_wrap_word(&w);
	fclose(w.out);
	free(w.word);
	free(w.space);
	return out;
}

static int
ghitem_text_width(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	int w = 0;

	while (p < end) {
		size_t n;

		w += ghitem_rune_width(ghitem_rune(p, &n));
		p += n;
	}
	return w;
}

static void
ghitem_pad(FILE *f, int n)
{
	for (; n > 0; n--)
		fputc(' ', f);
}

/* One paragraph's lines, each with the document's two-column margin and
 * padded to the text width, as glamour's margin writers leave them. */
static void
ghitem_markdown_paragraph(FILE *f, const char *text, int wrap)
{
	char *wrapped = wrap > 0 ? ghitem_wrap_text(text, wrap) : strdup(text);
	const char *line = wrapped;

	for (;;) {
		size_t n = strcspn(line, "\n");

		fputs("  ", f);
		fwrite(line, 1, n, f);
		ghitem_pad(f, wrap - ghitem_text_width(line, n));
		fputc('\n', f);
		if (line[n] == '\0')
			break;
		line += n + 1;
	}
	free(wrapped);
}

void
ghitem_markdown(FILE *f, const char *text, int width)
{
	int wrap = width - 4;     /* the document's margin of 2 on both sides */
	char *para = malloc(strlen(text) + 1);
	size_t plen = 0;
	bool first = true;
	const char *line = text;

	fputc('\n', f);
	for (;;) {
		size_t n = strcspn(line, "\n");
		size_t b = 0, e = n;
		bool last = line[n] == '\0';

		/* paragraph lines lose their indentation and trailing blanks */
		while (b < e && (line[b] == ' ' || line[b] == '\t'))
			b++;
		while (e > b && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\r'))
			e--;
		if (e > b) {
			if (plen > 0)
				para[plen++] = '\n';
			memcpy(para + plen, line + b, e - b);
			plen += e - b;
		}
		if ((e == b || last) && plen > 0) {
			para[plen] = '\0';
			if (!first) {
				fputs("  ", f);
				ghitem_pad(f, wrap - 2);
				fputc('\n', f);
			}
			ghitem_markdown_paragraph(f, para, wrap);
			first = false;
			plen = 0;
		}
		if (last)
			break;
		line += n + 1;
	}
	fputc('\n', f);
	free(para);
}

/* --- comments ------------------------------------------------------------------- */

void
ghitem_comments_add(struct ghitem_comment **v, size_t *n, const json_t *raw)
{
	json_t *cm;
	size_t i;

	*v = realloc(*v, (*n + json_array_size(raw) + 1) * sizeof(**v));
	json_array_foreach(raw, i, cm) {
		struct ghitem_comment *c = &(*v)[(*n)++];
		json_t *user = json_object_get(cm, "user");

		memset(c, 0, sizeof(*c));
		/* kept as sent: printing drops a bot's "[bot]" */
		c->login = ghitem_str(user, "login");
		c->association = ghitem_str(cm, "author_association");
		c->body = ghitem_str(cm, "body");
		c->status = "";
		c->link = "";
		c->created = ghitem_when(cm, "created_at");
		c->reactions = json_object_get(cm, "reactions");
	}
}

static void
ghitem_comments_sort(struct ghitem_comment *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct ghitem_comment x = v[i];
		size_t j;

		for (j = i; j > 0 && v[j - 1].created > x.created; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void
ghitem_comment_login(const struct ghitem_comment *c, char *buf, size_t len)
{
	size_t n = strlen(c->login);

	if (n >= 5 && strcmp(c->login + n - 5, "[bot]") == 0)
		n -= 5;
	snprintf(buf, len, "%.*s", (int)n, c->login);
}

void
ghitem_comments_raw(FILE *f, struct ghitem_comment *v, size_t n)
{
	ghitem_comments_sort(v, n);
	for (size_t i = 0; i < n; i++) {
		const char *st = v[i].status;
		char login[256], assoc[64], status[64];

		if (v[i].hidden)
			continue;
		ghitem_comment_login(&v[i], login, sizeof(login));
		snprintf(assoc, sizeof(assoc), "%s", v[i].association);
		for (char *p = assoc; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strcmp(st, "APPROVED") == 0 || strcmp(st, "CHANGES_REQUESTED") == 0 ||
		    strcmp(st, "COMMENTED") == 0 || strcmp(st, "DISMISSED") == 0) {
			snprintf(status, sizeof(status), "%s", st);
			for (char *p = status; *p; p++)
				*p = *p == '_' ? ' ' : (char)tolower((unsigned char)*p);
		} else {
			snprintf(status, sizeof(status), "none");
		}
		/* includesCreatedEdit has no REST source: never "edited". */
		fprintf(f, "author:\t%s\nassociation:\t%s\nedited:\tfalse\nstatus:\t%s\n--\n%s\n--\n",
		    login, assoc, status, v[i].body);
	}
}

static void
ghitem_comment_tty(FILE *f, const struct ghp_env *e, const struct ghitem_comment *c,
    bool newest)
{
	char login[256], buf[128], when[64];

	ghitem_comment_login(c, login, sizeof(login));
	ghitem_paint(f, e, "bold", login);
	if (strcmp(c->status, "APPROVED") == 0) {
		fputc(' ', f);
		ghitem_paint(f, e, "green", "approved");
	} else if (strcmp(c->status, "CHANGES_REQUESTED") == 0) {
		fputc(' ', f);
		ghitem_paint(f, e, "red", "requested changes");
	} else if (strcmp(c->status, "COMMENTED") == 0 || strcmp(c->status, "DISMISSED") == 0) {
		fputc(' ', f);
		ghitem_paint(f, e, "bold", "commented");
	}
	if (strcmp(c->association, "NONE") != 0) {
		/* Go's strings.Title of the lower-cased association */
		size_t i, o = 0;

		o += (size_t)snprintf(buf, sizeof(buf), " (");
		for (i = 0; c->association[i] && o + 3 < sizeof(buf); i++)
			buf[o++] = (char)(i == 0 ? toupper((unsigned char)c->association[i]) :
			    tolower((unsigned char)c->association[i]));
		buf[o++] = ')';
		buf[o] = '\0';
		ghitem_paint(f, e, "bold", buf);
	}
	ghitem_ago_abbr(e->now, c->created, when, sizeof(when));
	snprintf(buf, sizeof(buf), " \xe2\x80\xa2 %s", when);
	ghitem_paint(f, e, "bold", buf);
	if (newest) {
		ghitem_paint(f, e, "bold", " \xe2\x80\xa2 ");
		ghitem_paint(f, e, "cyanbold", "Newest comment");
	}
	fputc('\n', f);
	if (ghitem_reaction_line(f, c->reactions))
		fputc('\n', f);
	if (*c->body == '\0') {
		fputs("\n  ", f);
		ghitem_paint(f, e, "gray", "No body provided");
		fputs("\n\n", f);
	} else {
		ghitem_markdown(f, c->body, e->width);
	}
	if (*c->link) {
		char *footer = NULL;

		if (asprintf(&footer, "View the full review: %s\n\n", c->link) >= 0) {
			ghitem_paint(f, e, "gray", footer);
			free(footer);
		}
	}
}

void
ghitem_comments_tty(FILE *f, const struct ghp_env *e, struct ghitem_comment *v, size_t n,
    long total, bool preview)
{
	long hidden;
	char text[128], plural[64];

	ghitem_comments_sort(v, n);
	if (preview && n > 0) {
		v += n - 1;
		n = 1;
	}
	hidden = total - (long)n;
	if (preview && hidden > 0) {
		ghitem_plural(plural, sizeof(plural), hidden, "comment");
		snprintf(text, sizeof(text),
		    "\xe2\x80\x94\xe2\x80\x94\xe2\x80\x94\xe2\x80\x94\xe2\x80\x94\xe2\x80\x94"
		    "\xe2\x80\x94\xe2\x80\x94 Not showing %s "
		    "\xe2\x80\x94\xe2\x80\x94\xe2\x80\x94\xe2\x80\x94\xe2\x80\x94\xe2\x80\x94"
		    "\xe2\x80\x94\xe2\x80\x94", plural);
		ghitem_paint(f, e, "gray", text);
		fputs("\n\n\n", f);
	}
	for (size_t i = 0; i < n; i++) {
		ghitem_comment_tty(f, e, &v[i], i + 1 == n);
		if (i + 1 == n)
			fputc('\n', f);
	}
	if (preview && hidden > 0) {
		ghitem_paint(f, e, "gray", "Use --comments to view the full conversation");
		fputc('\n', f);
	}
}

void
ghitem_query_start(FILE *f, const struct ghitem_ctx *c, const char *kind, const char *state,
    const char *search)
{
	bool own_state = search && (strstr(search, "is:open") || strstr(search, "is:closed") ||
	    strstr(search, "is:merged") || strstr(search, "state:"));

	fprintf(f, "repo:%s/%s is:%s", c->owner, c->repo, kind);
	if (!own_state && strcmp(state, "all") != 0)
		fprintf(f, " is:%s", state);
}

void
ghitem_qualifier(FILE *f, const char *key, const char *value)
{
	if (value != NULL)
		fprintf(f, strchr(value, ' ') ? " %s:\"%s\"" : " %s:%s", key, value);
}

void
ghitem_list_header(FILE *f, const struct ghitem_ctx *c, const char *item, size_t shown,
    long total, bool filtered)
{
	char word[128], plural[160];

	if (filtered) {
		ghitem_plural(plural, sizeof(plural), total, item);
		fprintf(f, "\nShowing %zu of %s in %s/%s that %s your search\n\n", shown, plural,
		    c->owner, c->repo, total == 1 ? "matches" : "match");
		return;
	}
	snprintf(word, sizeof(word), "open %s", item);
	ghitem_plural(plural, sizeof(plural), total, word);
	fprintf(f, "\nShowing %zu of %s in %s/%s\n\n", shown, plural, c->owner, c->repo);
}

int
ghitem_no_results(const struct ghitem_ctx *c, const char *msg)
{
	if (c->e->tty)
		fprintf(stderr, "%s in %s/%s\n", msg, c->owner, c->repo);
	return 0;
}

/* --- arguments ---------------------------------------------------------------------- */

void
ghitem_add_csv(json_t *list, const char *value)
{
	while (*value) {
		size_t n = strcspn(value, ",");

		json_array_append_new(list, json_stringn(value, n));
		value += n + (value[n] == ',');
	}
}

static bool
ghitem_digits(const char *s, size_t n, long *out)
{
	long v = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) || v > (INT32_MAX - 9) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool
ghitem_parse_number(const char *s, long *n)
{
	if (*s == '#')
		s++;
	return ghitem_digits(s, strlen(s), n);
}

bool
ghitem_parse_url(const char *s, const char *const *kinds, char *owner, size_t olen, char *repo,
    size_t rlen, long *n)
{
	const char *p, *seg[4];
	size_t len[4];
	int k;

	if (strncasecmp(s, "https://", 8) == 0)
		p = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		p = s + 7;
	else
		return false;
	/* The same path on another host is someone else's issue. */
	if (!gitrepo_host_ok(p, strcspn(p, ":/")))
		return false;
	if ((p = strchr(p, '/')) == NULL)
		return false;
	for (k = 0; k < 4; k++) {
		if (*p != '/')
			return false;
		seg[k] = ++p;
		len[k] = strcspn(p, "/?#");
		p += len[k];
	}
	if (len[0] == 0 || len[1] == 0 || len[0] >= olen || len[1] >= rlen ||
	    !ghitem_digits(seg[3], len[3], n))
		return false;
	for (k = 0; kinds[k] != NULL; k++)
		if (strlen(kinds[k]) == len[2] && strncmp(kinds[k], seg[2], len[2]) == 0)
			break;
	if (kinds[k] == NULL)
		return false;
	snprintf(owner, olen, "%.*s", (int)len[0], seg[0]);
	snprintf(repo, rlen, "%.*s", (int)len[1], seg[1]);
	return true;
}

bool
ghitem_parse_limit(const char *s, long *n)
{
	return ghitem_digits(s, strlen(s), n) && *n >= 1;
}

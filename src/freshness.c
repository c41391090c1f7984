/*
 * freshness.c - TTLs by rule and route class.
 *
 * Rules use fnmatch(3) with FNM_PATHNAME: '*' stays within one path
 * segment, so a rule cannot reach into subresources by accident.
 */
#include "freshness.h"
#include "config.h"
#include "route.h"
#include "util.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct fresh_table {
	int64_t by_class[ROUTE_CLASS_IMMUTABLE + 1];
	struct config_cache_rule *rules;
	size_t n_rules;
};

/* Replaced whole on reload; a lookup reads one version. */
struct freshness {
	pthread_rwlock_t lock;
	struct fresh_table *t;
};

static struct fresh_table *
fresh_table_new(const struct config *cfg)
{
	struct fresh_table *f = util_calloc(1, sizeof(*f));
	const struct config_cache *cc = &cfg->cache;

	f->by_class[ROUTE_CLASS_DEFAULT] = cc->default_ttl_secs;
	f->by_class[ROUTE_CLASS_REPO_VIEW] = cc->repo_view_ttl_secs;
	f->by_class[ROUTE_CLASS_PR] = cc->pr_view_ttl_secs;
	f->by_class[ROUTE_CLASS_ISSUE] = cc->issue_list_ttl_secs;
	f->by_class[ROUTE_CLASS_RUN] = cc->run_list_ttl_secs;
	f->by_class[ROUTE_CLASS_COMMIT_LIST] = cc->commit_list_ttl_secs;
	f->by_class[ROUTE_CLASS_IMMUTABLE] = cc->immutable_ttl_secs;
	f->n_rules = cc->n_rules;
	f->rules = util_calloc(f->n_rules ? f->n_rules : 1, sizeof(*f->rules));
	for (size_t i = 0; i < f->n_rules; i++) {
		f->rules[i].pattern = util_strdup(cc->rules[i].pattern);
		f->rules[i].ttl_secs = cc->rules[i].ttl_secs;
	}
	return f;
}

static void
fresh_table_free(struct fresh_table *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n_rules; i++)
		free(f->rules[i].pattern);
	free(f->rules);
	free(f);
}

struct freshness *
freshness_new(const struct config *cfg)
{
	struct freshness *f = util_calloc(1, sizeof(*f));

	pthread_rwlock_init(&f->lock, NULL);
	f->t = fresh_table_new(cfg);
	return f;
}

void
freshness_update(struct freshness *f, const struct config *cfg)
{
	struct fresh_table *fresh = fresh_table_new(cfg), *old;

	pthread_rwlock_wrlock(&f->lock);
	old = f->t;
	f->t = fresh;
	pthread_rwlock_unlock(&f->lock);
	fresh_table_free(old);
}

void
freshness_free(struct freshness *f)
{
	if (f == NULL)
		return;
	fresh_table_free(f->t);
	pthread_rwlock_destroy(&f->lock);
	free(f);
}

int64_t
freshness_ttl(struct freshness *f, const char *path, const char *query, size_t qlen)
{
	int64_t ttl = -1;

	pthread_rwlock_rdlock(&f->lock);
	for (size_t i = 0; i < f->t->n_rules && ttl < 0; i++)
		if (fnmatch(f->t->rules[i].pattern, path, FNM_PATHNAME) == 0)
			ttl = f->t->rules[i].ttl_secs;
	if (ttl < 0)
		ttl = f->t->by_class[route_class(path, strlen(path), query, qlen)];
	pthread_rwlock_unlock(&f->lock);
	return ttl;
}

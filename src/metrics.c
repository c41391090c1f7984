/*
 * metrics.c - sharded counters and the Prometheus exposition.
 *
 * A worker owns its shard: it is the only writer, so an increment is a
 * relaxed load and store (a plain add on x86, no lock prefix), and a
 * scraping thread reading the same words sees a whole, if slightly old,
 * value. Threads without a shard share one with atomic adds. Shards live
 * until exit: a worker's counts must outlive the worker.
 *
 * Everything a scrape prints that is not counted here is read off the
 * /stats document, so both endpoints always tell the same story and the
 * metric names live in this one file.
 */
#include "metrics.h"
#include "util.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Request and upstream latency buckets, in microseconds: a hit takes tens
 * of them, a GitHub round trip hundreds of milliseconds. */
static const int64_t metrics_le_us[] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};
#define METRICS_BUCKETS (sizeof(metrics_le_us) / sizeof(metrics_le_us[0]))

/* Status classes: "error" (no answer, or outside 1xx-5xx), then 1xx to 5xx. */
#define METRICS_STATUS 6
/* Cache outcomes: none, then the five X-Ghpool-Cache values. */
#define METRICS_CACHE 6

typedef _Atomic uint64_t counter_t;

struct metrics_hist {
	counter_t bucket[METRICS_BUCKETS + 1];   /* last: above every bound */
	counter_t sum_us;
};

struct metrics_shard {
	counter_t requests[METRICS_ROUTE_COUNT][METRICS_METHOD_COUNT][METRICS_STATUS][METRICS_CACHE];
	struct metrics_hist duration[METRICS_ROUTE_COUNT][METRICS_CACHE];
	struct metrics_hist upstream[2];         /* pooled, passthrough */
	counter_t passthrough[METRICS_STATUS];
	_Atomic int64_t counter[METRICS_COUNTER_COUNT];
	struct metrics_shard *next;
};

static struct metrics_shard metrics_shared;
static struct metrics_shard *metrics_shards;  /* owned ones, under the lock */
static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local struct metrics_shard *metrics_own;

static const char *const metrics_route_names[METRICS_ROUTE_COUNT] = {
	"none", "repos", "orgs", "users", "networks", "repositories", "search", "identity",
	"rate_limit", "public", "other", "graphql", "management",
};
static const char *const metrics_method_names[METRICS_METHOD_COUNT] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OTHER",
};
static const char *const metrics_status_names[METRICS_STATUS] = {
	"error", "1xx", "2xx", "3xx", "4xx", "5xx",
};
/* In the order of the access log's outcomes they stand for. */
static const char *const metrics_cache_outcomes[METRICS_CACHE] = {
	"", "HIT", "MISS", "REVALIDATED", "COALESCED", "STALE",
};
static const char *const metrics_cache_names[METRICS_CACHE] = {
	"none", "hit", "miss", "revalidated", "coalesced", "stale",
};

/* ------------------------------------------------------------------------
 * Counting
 * ---------------------------------------------------------------------- */

static struct metrics_shard *
metrics_shard(void)
{
	return metrics_own ? metrics_own : &metrics_shared;
}

static void
metrics_inc(counter_t *c, uint64_t v)
{
	if (metrics_own != NULL)
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
		    memory_order_relaxed);
	else
		atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static void
metrics_observe(struct metrics_hist *h, int64_t us)
{
	size_t i = 0;

	if (us < 0)
		us = 0;
	while (i < METRICS_BUCKETS && us > metrics_le_us[i])
		i++;
	metrics_inc(&h->bucket[i], 1);
	metrics_inc(&h->sum_us, (uint64_t)us);
}

static int
metrics_status_class(long status)
{
	return status >= 100 && status <= 599 ? (int)(status / 100) : 0;
}

void
metrics_thread_start(void)
{
	struct metrics_shard *s;

	if (metrics_own != NULL || (s = calloc(1, sizeof(*s))) == NULL)
		return;   /* without memory the shared shard still counts */
	pthread_mutex_lock(&metrics_lock);
	s->next = metrics_shards;
	metrics_shards = s;
	pthread_mutex_unlock(&metrics_lock);
	metrics_own = s;
}

void
metrics_cleanup(void)
{
	struct metrics_shard *s, *next;

	pthread_mutex_lock(&metrics_lock);
	for (s = metrics_shards; s != NULL; s = next) {
		next = s->next;
		free(s);
	}
	metrics_shards = NULL;
	pthread_mutex_unlock(&metrics_lock);
	metrics_own = NULL;
}

void
metrics_request(enum metrics_route route, enum metrics_method method, int status,
    const char *outcome, int64_t duration_us)
{
	struct metrics_shard *s = metrics_shard();
	int cache = 0;

	/* The cache's outcomes are the only capitalised ones; HIT, the
	 * commonest, is tried first. */
	if (outcome != NULL && outcome[0] >= 'A' && outcome[0] <= 'Z')
		for (cache = 1; cache < METRICS_CACHE; cache++)
			if (strcmp(outcome, metrics_cache_outcomes[cache]) == 0)
				break;
	if (cache == METRICS_CACHE)
		cache = 0;
	if ((unsigned)route >= METRICS_ROUTE_COUNT)
		route = METRICS_ROUTE_NONE;
	if ((unsigned)method >= METRICS_METHOD_COUNT)
		method = METRICS_METHOD_OTHER;
	metrics_inc(&s->requests[route][method][metrics_status_class(status)][cache], 1);
	metrics_observe(&s->duration[route][cache], duration_us);
}

void
metrics_upstream(bool passthrough, long status, int64_t duration_us)
{
	struct metrics_shard *s = metrics_shard();

	metrics_observe(&s->upstream[passthrough], duration_us);
	if (passthrough)
		metrics_inc(&s->passthrough[metrics_status_class(status)], 1);
}

void
metrics_add(enum metrics_counter c, int64_t delta)
{
	struct metrics_shard *s = metrics_shard();

	if ((unsigned)c >= METRICS_COUNTER_COUNT)
		return;
	if (metrics_own != NULL)
		atomic_store_explicit(&s->counter[c],
		    atomic_load_explicit(&s->counter[c], memory_order_relaxed) + delta,
		    memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&s->counter[c], delta, memory_order_relaxed);
}

/* ------------------------------------------------------------------------
 * Adding the shards up
 * ---------------------------------------------------------------------- */

/* Plain sums, for one scrape. */
struct metrics_hist_sum {
	uint64_t bucket[METRICS_BUCKETS + 1];
	uint64_t sum_us;
};

struct metrics_sum {
	uint64_t requests[METRICS_ROUTE_COUNT][METRICS_METHOD_COUNT][METRICS_STATUS][METRICS_CACHE];
	struct metrics_hist_sum duration[METRICS_ROUTE_COUNT][METRICS_CACHE];
	struct metrics_hist_sum upstream[2];
	uint64_t passthrough[METRICS_STATUS];
	int64_t counter[METRICS_COUNTER_COUNT];
};

static void
metrics_hist_add(struct metrics_hist_sum *to, const struct metrics_hist *h)
{
	for (size_t i = 0; i <= METRICS_BUCKETS; i++)
		to->bucket[i] += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
	to->sum_us += atomic_load_explicit(&h->sum_us, memory_order_relaxed);
}

static void
metrics_sum_shard(struct metrics_sum *m, const struct metrics_shard *s)
{
	for (int r = 0; r < METRICS_ROUTE_COUNT; r++) {
		for (int k = 0; k < METRICS_CACHE; k++)
			metrics_hist_add(&m->duration[r][k], &s->duration[r][k]);
		for (int me = 0; me < METRICS_METHOD_COUNT; me++)
			for (int st = 0; st < METRICS_STATUS; st++)
				for (int k = 0; k < METRICS_CACHE; k++)
					m->requests[r][me][st][k] += atomic_load_explicit(
					    &s->requests[r][me][st][k], memory_order_relaxed);
	}
	for (int i = 0; i < 2; i++)
		metrics_hist_add(&m->upstream[i], &s->upstream[i]);
	for (int st = 0; st < METRICS_STATUS; st++)
		m->passthrough[st] += atomic_load_explicit(&s->passthrough[st], memory_order_relaxed);
	for (int c = 0; c < METRICS_COUNTER_COUNT; c++)
		m->counter[c] += atomic_load_explicit(&s->counter[c], memory_order_relaxed);
}

/* ------------------------------------------------------------------------
 * The text format
 * ---------------------------------------------------------------------- */

static void
metrics_family(struct evbuffer *out, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped; other bytes
 * (identity ids, GitHub's bucket names) pass as they are. */
static void
metrics_label(struct evbuffer *out, const char *name, const char *value, bool first)
{
	evbuffer_add_printf(out, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\')
			evbuffer_add(out, "\\\\", 2);
		else if (*p == '"')
			evbuffer_add(out, "\\\"", 2);
		else if (*p == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, p, 1);
	}
	evbuffer_add(out, "\"", 1);
}

/* Up to four labels: name, value, name, value, ...; a NULL name ends them. */
#define METRICS_LABELS 8

/* name{k1="v1",...} value */
static void
metrics_sample(struct evbuffer *out, const char *name, const char *const labels[METRICS_LABELS],
    const char *value)
{
	evbuffer_add_printf(out, "%s", name);
	if (labels != NULL && labels[0] != NULL) {
		evbuffer_add(out, "{", 1);
		for (int i = 0; i < METRICS_LABELS && labels[i] != NULL; i += 2)
			metrics_label(out, labels[i], labels[i + 1], i == 0);
		evbuffer_add(out, "}", 1);
	}
	evbuffer_add_printf(out, " %s\n", value);
}

static void
metrics_int(struct evbuffer *out, const char *name, const char *const labels[METRICS_LABELS],
    int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	metrics_sample(out, name, labels, buf);
}

/* A histogram's series under n label entries (at most three labels). */
static void
metrics_hist(struct evbuffer *out, const char *name, const struct metrics_hist_sum *h,
    const char *const labels[], size_t n)
{
	const char *l[METRICS_LABELS] = { NULL };
	char series[128], le[24], val[32];
	uint64_t cum = 0;

	memcpy(l, labels, n * sizeof(*l));
	snprintf(series, sizeof(series), "%s_bucket", name);
	l[n] = "le";
	l[n + 1] = le;
	for (size_t i = 0; i <= METRICS_BUCKETS; i++) {
		cum += h->bucket[i];
		if (i < METRICS_BUCKETS)
			snprintf(le, sizeof(le), "%g", (double)metrics_le_us[i] / 1e6);
		else
			snprintf(le, sizeof(le), "+Inf");
		snprintf(val, sizeof(val), "%" PRIu64, cum);
		metrics_sample(out, series, l, val);
	}
	l[n] = NULL;
	snprintf(series, sizeof(series), "%s_sum", name);
	snprintf(val, sizeof(val), "%.6f", (double)h->sum_us / 1e6);
	metrics_sample(out, series, l, val);
	snprintf(series, sizeof(series), "%s_count", name);
	snprintf(val, sizeof(val), "%" PRIu64, cum);
	metrics_sample(out, series, l, val);
}

static uint64_t
metrics_hist_count(const struct metrics_hist_sum *h)
{
	uint64_t n = 0;

	for (size_t i = 0; i <= METRICS_BUCKETS; i++)
		n += h->bucket[i];
	return n;
}

static void
metrics_render_own(struct evbuffer *out, const struct metrics_sum *m)
{
	static const char *const upstream_kinds[2] = { "pooled", "passthrough" };
	static const char *const reval_names[3] = { "not_modified", "modified", "failed" };

	metrics_family(out, "ghpool_requests_total", "counter",
	    "Requests answered, by route family, method, status class and cache outcome.");
	for (int r = 0; r < METRICS_ROUTE_COUNT; r++)
		for (int me = 0; me < METRICS_METHOD_COUNT; me++)
			for (int st = 0; st < METRICS_STATUS; st++)
				for (int k = 0; k < METRICS_CACHE; k++) {
					const char *labels[METRICS_LABELS] = {
						"route", metrics_route_names[r],
						"method", metrics_method_names[me],
						"status", metrics_status_names[st],
						"cache", metrics_cache_names[k],
					};

					/* Only what happened: the full cross product is
					 * thousands of zeros. */
					if (m->requests[r][me][st][k] != 0)
						metrics_int(out, "ghpool_requests_total", labels,
						    (int64_t)m->requests[r][me][st][k]);
				}

	metrics_family(out, "ghpool_request_duration_seconds", "histogram",
	    "Time from a request's arrival to its answer, by route family and cache outcome.");
	for (int r = 0; r < METRICS_ROUTE_COUNT; r++)
		for (int k = 0; k < METRICS_CACHE; k++)
			if (metrics_hist_count(&m->duration[r][k]) > 0) {
				const char *labels[4] = {
					"route", metrics_route_names[r], "cache", metrics_cache_names[k],
				};

				metrics_hist(out, "ghpool_request_duration_seconds", &m->duration[r][k],
				    labels, 4);
			}

	metrics_family(out, "ghpool_upstream_duration_seconds", "histogram",
	    "Time GitHub took to answer (or fail), pooled reads and passthrough writes apart.");
	for (int i = 0; i < 2; i++) {
		const char *labels[2] = { "kind", upstream_kinds[i] };

		metrics_hist(out, "ghpool_upstream_duration_seconds", &m->upstream[i], labels, 2);
	}

	metrics_family(out, "ghpool_passthrough_requests_total", "counter",
	    "Requests sent upstream with the client's own token, by status class (error: no answer).");
	for (int st = 0; st < METRICS_STATUS; st++) {
		const char *labels[METRICS_LABELS] = { "status", metrics_status_names[st] };

		metrics_int(out, "ghpool_passthrough_requests_total", labels,
		    (int64_t)m->passthrough[st]);
	}

	metrics_family(out, "ghpool_upstream_in_flight", "gauge",
	    "Upstream requests started and not yet answered.");
	metrics_int(out, "ghpool_upstream_in_flight", NULL,
	    m->counter[METRICS_UPSTREAM_IN_FLIGHT]);

	metrics_family(out, "ghpool_cache_revalidations_total", "counter",
	    "Conditional requests for expired entries, by result (not_modified costs no rate limit).");
	for (int i = 0; i < 3; i++) {
		const char *labels[METRICS_LABELS] = { "result", reval_names[i] };

		metrics_int(out, "ghpool_cache_revalidations_total", labels,
		    m->counter[METRICS_REVALIDATION_NOT_MODIFIED + i]);
	}
}

/* ------------------------------------------------------------------------
 * Series read off /stats
 * ---------------------------------------------------------------------- */

static int64_t
metrics_json_int(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* One gauge or counter family over every identity's (or bucket's) value. */
struct metrics_stat {
	const char *name, *type, *help, *key;
};

static void
metrics_render_cache(struct evbuffer *out, const json_t *cache)
{
	static const struct metrics_stat stats[] = {
		{ "ghpool_cache_entries", "gauge", "Entries in the cache.", "entries" },
		{ "ghpool_cache_bytes", "gauge",
		  "Bytes the cache holds: keys, headers, bodies and bookkeeping.", "bytes" },
		{ "ghpool_cache_max_bytes", "gauge", "The cache's byte bound ([cache] max_bytes).",
		  "max_bytes" },
		{ "ghpool_cache_max_entries", "gauge",
		  "The cache's entry bound ([cache] max_entries).", "max_entries" },
		{ "ghpool_cache_evictions_total", "counter",
		  "Entries evicted to make room.", "evictions" },
		{ "ghpool_cache_invalidations_total", "counter",
		  "Entries invalidated by writes through ghpool.", "invalidations" },
		{ "ghpool_cache_coalesced_total", "counter",
		  "Requests answered by another request's upstream fetch.", "coalesced" },
		{ "ghpool_cache_stale_served_total", "counter",
		  "Expired entries served because GitHub failed (stale-if-error).", "stale_served" },
		{ "ghpool_rate_limit_units_saved_total", "counter",
		  "Rate-limit units the cache saved: hits, coalesced, stale and free 304s.",
		  "rate_limit_units_saved" },
	};

	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		metrics_family(out, stats[i].name, stats[i].type, stats[i].help);
		metrics_int(out, stats[i].name, NULL, metrics_json_int(cache, stats[i].key));
	}
}

static void
metrics_render_identities(struct evbuffer *out, const json_t *ids)
{
	static const char *const states[] = { "active", "cooling", "disabled", "removed" };
	static const struct metrics_stat per_id[] = {
		{ "ghpool_identity_requests_total", "counter",
		  "Pooled reads sent with the identity's token.", "requests" },
		{ "ghpool_identity_errors_total", "counter",
		  "Answers that disabled, cooled or exhausted the identity.", "errors" },
	};
	static const struct metrics_stat per_bucket[] = {
		{ "ghpool_rate_limit_limit", "gauge",
		  "The bucket's limit as GitHub last reported it.", "limit" },
		{ "ghpool_rate_limit_remaining", "gauge",
		  "What is left of the bucket (its limit again once past the reset).", "remaining" },
		{ "ghpool_rate_limit_reset_timestamp_seconds", "gauge",
		  "When the bucket refills, in Unix seconds.", "reset" },
		{ "ghpool_rate_limit_in_flight", "gauge",
		  "Reads in flight against the bucket.", "in_flight" },
	};
	int64_t now = util_now();
	size_t i;
	json_t *id;

	metrics_family(out, "ghpool_identity_state", "gauge",
	    "1 for the identity's state: active, cooling (secondary limit), disabled (token "
	    "refused) or removed.");
	json_array_foreach(ids, i, id) {
		const char *name = json_string_value(json_object_get(id, "id"));
		const char *st = json_string_value(json_object_get(id, "state"));

		for (size_t k = 0; name && st && k < sizeof(states) / sizeof(states[0]); k++) {
			const char *labels[METRICS_LABELS] = { "identity", name, "state", states[k] };

			metrics_int(out, "ghpool_identity_state", labels, strcmp(st, states[k]) == 0);
		}
	}
	for (size_t f = 0; f < sizeof(per_id) / sizeof(per_id[0]); f++) {
		metrics_family(out, per_id[f].name, per_id[f].type, per_id[f].help);
		json_array_foreach(ids, i, id) {
			const char *labels[METRICS_LABELS] = {
				"identity", json_string_value(json_object_get(id, "id")),
			};

			if (labels[1] != NULL)
				metrics_int(out, per_id[f].name, labels, metrics_json_int(id, per_id[f].key));
		}
	}
	metrics_family(out, "ghpool_secret_resolution_age_seconds", "gauge",
	    "Seconds since the identity's secret was last resolved (start-up, reload or App refresh).");
	json_array_foreach(ids, i, id) {
		const char *labels[METRICS_LABELS] = { "identity", json_string_value(json_object_get(id, "id")) };
		int64_t at = metrics_json_int(id, "secret_resolved_at");

		if (labels[1] != NULL && at > 0)
			metrics_int(out, "ghpool_secret_resolution_age_seconds", labels,
			    now > at ? now - at : 0);
	}
	for (size_t f = 0; f < sizeof(per_bucket) / sizeof(per_bucket[0]); f++) {
		metrics_family(out, per_bucket[f].name, per_bucket[f].type, per_bucket[f].help);
		json_array_foreach(ids, i, id) {
			const char *name = json_string_value(json_object_get(id, "id"));
			const char *bucket;
			json_t *b;

			json_object_foreach(json_object_get(id, "buckets"), bucket, b) {
				const char *labels[METRICS_LABELS] = { "identity", name, "bucket", bucket };

				if (name != NULL)
					metrics_int(out, per_bucket[f].name, labels,
					    metrics_json_int(b, per_bucket[f].key));
			}
		}
	}
	metrics_family(out, "ghpool_upstream_requests_total", "counter",
	    "Pooled upstream requests (reads, revalidations, id lookups) by identity, bucket and "
	    "status class (error: no answer).");
	json_array_foreach(ids, i, id) {
		const char *name = json_string_value(json_object_get(id, "id"));
		const char *bucket, *cls;
		json_t *b, *n;

		json_object_foreach(json_object_get(id, "upstream"), bucket, b)
			json_object_foreach(b, cls, n) {
				const char *labels[METRICS_LABELS] = {
					"identity", name, "bucket", bucket, "status", cls,
				};

				if (name != NULL && json_is_integer(n))
					metrics_int(out, "ghpool_upstream_requests_total", labels,
					    (int64_t)json_integer_value(n));
			}
	}
}

static void
metrics_render_clients(struct evbuffer *out, const json_t *clients)
{
	static const struct metrics_stat per_client[] = {
		{ "ghpool_client_requests_total", "counter",
		  "Requests admitted per [[clients]] key.", "requests" },
		{ "ghpool_client_denied_total", "counter",
		  "Requests the access policy denied per [[clients]] key.", "denied" },
	};
	const char *name;
	json_t *c;

	for (size_t f = 0; f < sizeof(per_client) / sizeof(per_client[0]); f++) {
		metrics_family(out, per_client[f].name, per_client[f].type, per_client[f].help);
		json_object_foreach((json_t *)clients, name, c) {
			const char *labels[METRICS_LABELS] = { "client", name };

			metrics_int(out, per_client[f].name, labels, metrics_json_int(c, per_client[f].key));
		}
	}
}

/* [cache] backend = "redis": the links, L2 and the shared budgets. */
static void
metrics_render_redis(struct evbuffer *out, const json_t *redis)
{
	static const struct metrics_stat gauges[] = {
		{ "ghpool_redis_up", "gauge",
		  "1 while every worker's Redis link is up; 0: serving from L1 and GitHub alone.", "up" },
		{ "ghpool_redis_links_up", "gauge", "Workers whose Redis link is up.", "links_up" },
		{ "ghpool_redis_down_seconds", "gauge",
		  "How long the longest-down link has been down (0 while all are up).", "down_ms" },
		{ "ghpool_replicas", "gauge",
		  "Replicas sharing the budgets, this one included, at the last refresh.", "replicas" },
		{ "ghpool_redis_timeouts_total", "counter",
		  "Redis commands unanswered within redis_timeout_ms (each drops the link).", "timeouts" },
		{ "ghpool_redis_reconnects_total", "counter",
		  "Times a worker's Redis link came back after being down.", "reconnects" },
		{ "ghpool_l2_stores_total", "counter", "Entries Redis confirmed storing.", "stores" },
		{ "ghpool_l2_outdated_total", "counter",
		  "L2 look-ups that found an entry from before a write to its group (in misses too).",
		  "outdated" },
		{ "ghpool_l2_superseded_total", "counter",
		  "Fetched answers not shared: a write to their group came during the fetch.",
		  "superseded" },
		{ "ghpool_l2_skipped_written_total", "counter",
		  "L2 look-ups skipped: a write here to their group was not yet confirmed by Redis.",
		  "skipped_written" },
		{ "ghpool_l2_versions_set_total", "counter",
		  "New group versions set by writes, confirmed by Redis.", "versions_set" },
		{ "ghpool_l2_versions_failed_total", "counter",
		  "New group versions given up on (Redis kept refusing): the group stays marked 48 h.",
		  "versions_failed" },
	};
	static const struct {
		const char *name, *help, *label;
		const char *values[3], *keys[3];
	} labelled[] = {
		{ "ghpool_l2_requests_total", "L2 look-ups after an L1 miss, by result.", "result",
		  { "hit", "miss", "error" }, { "l2_hits", "l2_misses", "lookup_errors" } },
		{ "ghpool_l2_locks_total", "Fetch locks asked for, by result.", "result",
		  { "acquired", "held", NULL }, { "locks_acquired", "locks_held", NULL } },
		{ "ghpool_l2_waits_total", "Waits on another replica's fetch, by how they ended.",
		  "result", { "signalled", "timed_out", NULL },
		  { "waits_signalled", "waits_timed_out", NULL } },
		{ "ghpool_shared_budget_refreshes_total", "Rounds reading the shared budgets, by result.",
		  "result", { "ok", "failed", NULL },
		  { "budget_refreshes", "budget_refresh_failures", NULL } },
	};
	const char *backend = json_string_value(json_object_get(redis, "backend"));

	if (backend == NULL || strcmp(backend, "redis") != 0)
		return;
	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
		json_t *v = json_object_get(redis, gauges[i].key);
		char buf[32];

		metrics_family(out, gauges[i].name, gauges[i].type, gauges[i].help);
		if (strcmp(gauges[i].key, "down_ms") == 0) {
			snprintf(buf, sizeof(buf), "%.3f", (double)metrics_json_int(redis, "down_ms") / 1e3);
			metrics_sample(out, gauges[i].name, NULL, buf);
		} else {
			metrics_int(out, gauges[i].name, NULL,
			    json_is_boolean(v) ? json_is_true(v) : metrics_json_int(redis, gauges[i].key));
		}
	}
	for (size_t i = 0; i < sizeof(labelled) / sizeof(labelled[0]); i++) {
		metrics_family(out, labelled[i].name, "counter", labelled[i].help);
		for (int k = 0; k < 3 && labelled[i].values[k] != NULL; k++) {
			const char *labels[METRICS_LABELS] = { labelled[i].label, labelled[i].values[k] };

			metrics_int(out, labelled[i].name, labels,
			    metrics_json_int(redis, labelled[i].keys[k]));
		}
	}
}

void
metrics_render(struct evbuffer *out, const json_t *stats)
{
	struct metrics_sum *m = util_calloc(1, sizeof(*m));
	const char *version = json_string_value(json_object_get(stats, "version"));
	const char *labels[METRICS_LABELS] = { "version", version ? version : "unknown" };
	const struct metrics_shard *s;

	pthread_mutex_lock(&metrics_lock);
	metrics_sum_shard(m, &metrics_shared);
	for (s = metrics_shards; s != NULL; s = s->next)
		metrics_sum_shard(m, s);
	pthread_mutex_unlock(&metrics_lock);

	metrics_family(out, "ghpool_build_info", "gauge", "ghpool's version, as a label.");
	metrics_sample(out, "ghpool_build_info", labels, "1");
	metrics_family(out, "ghpool_uptime_seconds", "gauge", "Seconds since ghpool started.");
	metrics_int(out, "ghpool_uptime_seconds", NULL, metrics_json_int(stats, "uptime_secs"));
	metrics_family(out, "ghpool_ready", "gauge",
	    "1 while /readyz answers 200: an identity is usable and ghpool is not shutting down.");
	metrics_int(out, "ghpool_ready", NULL, json_is_true(json_object_get(stats, "ready")));
	metrics_family(out, "ghpool_identities_usable", "gauge",
	    "Identities neither disabled nor cooling down.");
	metrics_int(out, "ghpool_identities_usable", NULL,
	    metrics_json_int(stats, "usable_identities"));
	metrics_render_own(out, m);
	metrics_render_cache(out, json_object_get(stats, "cache"));
	metrics_render_identities(out, json_object_get(stats, "identities"));
	metrics_render_clients(out, json_object_get(json_object_get(stats, "policy"), "clients"));
	metrics_render_redis(out, json_object_get(stats, "redis"));
	free(m);
}

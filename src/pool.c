/*
 * pool.c - identity selection and rate-limit bookkeeping.
 *
 * A "budget" is what GitHub meters: one per GitHub account. Identities
 * normally own one budget each; two tokens of the same login share one,
 * so their remaining counts are not added twice. Each budget holds a list
 * of buckets (core, search, graphql, ... whatever GitHub names) with the
 * last reported limits and the reads in flight against them.
 *
 * One mutex guards everything: a pick is a short scan over a handful of
 * identities, far cheaper than the upstream request it precedes.
 */
#include "pool.h"
#include "config.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define POOL_BUCKET_NAME 32
/* Assumed budget of a bucket GitHub has not described yet: large enough
 * to be tried, and the first answer replaces it. */
#define POOL_UNKNOWN_REMAINING 5000
/* Buckets counted apart per identity in its upstream tally; GitHub names a
 * dozen, and an upstream inventing more is folded into "other". */
#define POOL_TALLY_BUCKETS 24
/* Status classes tallied: none (no answer), then 1xx to 5xx. */
#define POOL_TALLY_CLASSES 6

/* Identities a reload may add beyond those configured at start-up: slots
 * are never moved or reused, so ids handed out stay valid without a lock. */
#define POOL_SPARE_IDS 64

struct bucket {
	char name[POOL_BUCKET_NAME];
	bool known;
	struct pool_limits l;
	int64_t in_flight;
	int64_t remote_in_flight;  /* other replicas' reads (pool_set_remote) */
};

struct budget {
	struct bucket *buckets;
	size_t n_buckets;
	/* Secondary limits are per GitHub account, so cooldowns live here. */
	int64_t cool_until;       /* epoch seconds; 0: not cooling */
};

/* Upstream requests an identity sent for one bucket, by status class. */
struct tally {
	char bucket[POOL_BUCKET_NAME];
	uint64_t n[POOL_TALLY_CLASSES];
};

struct identity {
	char *id;
	char *token;
	char *login;
	size_t budget;            /* index into pool.budgets */
	bool disabled;            /* per token: a sibling token may still work */
	bool removed;             /* gone from the configuration on a reload */
	bool app;                 /* a GitHub App installation: tokens expire */
	int64_t resolved_at;      /* when its secret was last resolved */
	int64_t expires_at;       /* an App token's expiry; 0: none */
	int64_t installation_id;  /* an App's installation; 0: a token */
	uint64_t token_gen;       /* bumped by every new token */
	uint64_t requests;
	uint64_t errors;
	struct tally *tally;
	size_t n_tally;
};

struct pool {
	pthread_mutex_t mu;
	int64_t reserve;
	struct identity *ids;
	size_t n_ids, cap;
	struct budget *budgets;   /* n_ids of them; merged ones stay empty */
};

/* ------------------------------------------------------------------------
 * Buckets (callers hold p->mu)
 * ---------------------------------------------------------------------- */

static struct bucket *
pool_bucket(struct budget *b, const char *name, bool create)
{
	struct bucket *nb;

	for (size_t i = 0; i < b->n_buckets; i++)
		if (strcmp(b->buckets[i].name, name) == 0)
			return &b->buckets[i];
	if (!create)
		return NULL;
	nb = realloc(b->buckets, (b->n_buckets + 1) * sizeof(*nb));
	if (nb == NULL)
		abort();
	b->buckets = nb;
	nb = &b->buckets[b->n_buckets++];
	memset(nb, 0, sizeof(*nb));
	snprintf(nb->name, sizeof(nb->name), "%s", name);
	return nb;
}

/* Remaining as it stands now: a bucket past its reset is full again. */
static int64_t
pool_bucket_remaining(const struct bucket *bk, int64_t now)
{
	if (bk == NULL || !bk->known)
		return POOL_UNKNOWN_REMAINING;
	if (bk->l.reset > 0 && now >= bk->l.reset)
		return bk->l.limit;
	return bk->l.remaining;
}

static enum pool_state
pool_state_locked(const struct pool *p, const struct identity *id, int64_t now)
{
	if (id->removed)
		return POOL_REMOVED;
	if (id->disabled)
		return POOL_DISABLED;
	if (p->budgets[id->budget].cool_until > now)
		return POOL_COOLING;
	return POOL_ACTIVE;
}

/* ------------------------------------------------------------------------
 * Lifecycle and identity attributes
 * ---------------------------------------------------------------------- */

struct pool *
pool_new(const struct config *cfg)
{
	struct pool *p = util_calloc(1, sizeof(*p));

	pthread_mutex_init(&p->mu, NULL);
	p->reserve = cfg->pool_reserve;
	p->n_ids = cfg->n_identities;
	p->cap = p->n_ids + POOL_SPARE_IDS;
	p->ids = util_calloc(p->cap, sizeof(*p->ids));
	p->budgets = util_calloc(p->cap, sizeof(*p->budgets));
	for (size_t i = 0; i < p->n_ids; i++) {
		p->ids[i].id = util_strdup(cfg->identities[i].id);
		p->ids[i].token = util_strdup(cfg->identities[i].token);
		p->ids[i].resolved_at = cfg->identities[i].resolved_at;
		p->ids[i].app = cfg->identities[i].app;
		p->ids[i].expires_at = cfg->identities[i].token_expires_at;
		p->ids[i].installation_id = cfg->identities[i].installation_id;
		p->ids[i].budget = i;
	}
	return p;
}

void
pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_ids; i++) {
		free(p->ids[i].id);
		explicit_bzero(p->ids[i].token, strlen(p->ids[i].token));
		free(p->ids[i].token);
		free(p->ids[i].login);
		free(p->ids[i].tally);
		free(p->budgets[i].buckets);
	}
	free(p->ids);
	free(p->budgets);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

size_t
pool_size(struct pool *p)
{
	size_t n;

	pthread_mutex_lock(&p->mu);
	n = p->n_ids;
	pthread_mutex_unlock(&p->mu);
	return n;
}

/* An id never changes once its slot is filled: no lock needed. */
const char *
pool_id(const struct pool *p, int i)
{
	return p->ids[i].id;
}

/* Tokens rotate on reload: copied out under the lock. */
char *
pool_authorization(struct pool *p, int i, uint64_t *token_gen)
{
	char *h;

	pthread_mutex_lock(&p->mu);
	h = util_printf("Authorization: Bearer %s", p->ids[i].token);
	*token_gen = p->ids[i].token_gen;
	pthread_mutex_unlock(&p->mu);
	return h;
}

uint64_t
pool_token_gen(struct pool *p, int i)
{
	uint64_t g;

	pthread_mutex_lock(&p->mu);
	g = p->ids[i].token_gen;
	pthread_mutex_unlock(&p->mu);
	return g;
}

static void
pool_set_token_locked(struct identity *id, const char *token, int64_t resolved_at,
    int64_t expires_at)
{
	id->expires_at = expires_at;
	if (id->token != NULL) {
		explicit_bzero(id->token, strlen(id->token));
		free(id->token);
	}
	id->token = util_strdup(token);
	id->token_gen++;
	id->resolved_at = resolved_at;
	/* A new token deserves a new chance; its first answer judges it. */
	id->disabled = false;
}

void
pool_set_reserve(struct pool *p, int64_t reserve)
{
	pthread_mutex_lock(&p->mu);
	p->reserve = reserve;
	pthread_mutex_unlock(&p->mu);
}

int
pool_find(struct pool *p, const char *id)
{
	int found = -1;

	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n_ids && found < 0; i++)
		if (!p->ids[i].removed && strcasecmp(p->ids[i].id, id) == 0)
			found = (int)i;
	pthread_mutex_unlock(&p->mu);
	return found;
}

int64_t
pool_token_expires_at(struct pool *p, int i, int64_t *set_at)
{
	int64_t t;

	pthread_mutex_lock(&p->mu);
	t = p->ids[i].expires_at;
	*set_at = p->ids[i].resolved_at;
	pthread_mutex_unlock(&p->mu);
	return t;
}

int64_t
pool_installation(struct pool *p, int i)
{
	int64_t v;

	pthread_mutex_lock(&p->mu);
	v = p->ids[i].installation_id;
	pthread_mutex_unlock(&p->mu);
	return v;
}

void
pool_set_token(struct pool *p, int i, const char *token, int64_t expires_at)
{
	pthread_mutex_lock(&p->mu);
	pool_set_token_locked(&p->ids[i], token, util_now(), expires_at);
	pthread_mutex_unlock(&p->mu);
}

size_t
pool_reconcile(struct pool *p, const struct config *cfg, int *changed, size_t max_changed,
    size_t *dropped)
{
	size_t n_changed = 0;

	*dropped = 0;
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n_ids; i++) {
		bool keep = false;

		for (size_t j = 0; j < cfg->n_identities && !keep; j++)
			keep = strcasecmp(p->ids[i].id, cfg->identities[j].id) == 0;
		p->ids[i].removed = !keep;
	}
	for (size_t j = 0; j < cfg->n_identities; j++) {
		const struct config_identity *ci = &cfg->identities[j];
		struct identity *id = NULL;
		size_t i;

		for (i = 0; i < p->n_ids && id == NULL; i++)
			if (strcasecmp(p->ids[i].id, ci->id) == 0)
				id = &p->ids[i];
		if (id != NULL) {
			i--;
			if (strcmp(id->token, ci->token) == 0) {
				id->resolved_at = ci->resolved_at;
				continue;
			}
		} else if (p->n_ids < p->cap) {
			i = p->n_ids;
			id = &p->ids[i];
			id->id = util_strdup(ci->id);
			id->budget = i;
			p->n_ids++;
		} else {
			(*dropped)++;
			continue;
		}
		id->app = ci->app;
		id->installation_id = ci->installation_id;
		pool_set_token_locked(id, ci->token, ci->resolved_at, ci->token_expires_at);
		if (n_changed < max_changed)
			changed[n_changed++] = (int)i;
	}
	pthread_mutex_unlock(&p->mu);
	return n_changed;
}

enum pool_state
pool_state_of(struct pool *p, int i)
{
	enum pool_state s;

	pthread_mutex_lock(&p->mu);
	s = pool_state_locked(p, &p->ids[i], util_now());
	pthread_mutex_unlock(&p->mu);
	return s;
}

/*
 * Moves identity i out of the budget it is in, leaving that budget to the
 * others in it: when i owns a shared budget, the next sharer takes it over
 * whole. Afterwards i owns an empty budget of its own.
 */
static void
pool_detach_locked(struct pool *p, size_t i)
{
	size_t heir = p->n_ids;

	if (p->ids[i].budget != i) {
		p->ids[i].budget = i;        /* budgets[i] was emptied on merge */
		return;
	}
	for (size_t j = 0; j < p->n_ids && heir == p->n_ids; j++)
		if (j != i && p->ids[j].budget == i)
			heir = j;
	if (heir == p->n_ids)
		return;                      /* nobody shares it: keep it */
	p->budgets[heir] = p->budgets[i];
	for (size_t j = 0; j < p->n_ids; j++)
		if (j != i && p->ids[j].budget == i)
			p->ids[j].budget = heir;
	memset(&p->budgets[i], 0, sizeof(p->budgets[i]));
}

const char *
pool_set_login(struct pool *p, int i, const char *login)
{
	const char *other = NULL;
	struct identity *me = &p->ids[i];

	pthread_mutex_lock(&p->mu);
	/* Probed again, same account: nothing to move. */
	if (me->login != NULL && strcasecmp(me->login, login) == 0) {
		for (size_t j = 0; j < p->n_ids; j++)
			if ((int)j != i && p->ids[j].budget == me->budget) {
				other = p->ids[j].id;
				break;
			}
		pthread_mutex_unlock(&p->mu);
		return other;
	}
	if (me->login != NULL)
		pool_detach_locked(p, (size_t)i);
	free(me->login);
	me->login = util_strdup(login);
	for (size_t j = 0; j < p->n_ids; j++) {
		if ((int)j == i || p->ids[j].removed || p->ids[j].login == NULL ||
		    strcasecmp(p->ids[j].login, login) != 0)
			continue;
		/* Same GitHub account: share j's budget, drop ours. */
		other = p->ids[j].id;
		if (me->budget == (size_t)i) {
			free(p->budgets[i].buckets);
			memset(&p->budgets[i], 0, sizeof(p->budgets[i]));
		}
		me->budget = p->ids[j].budget;
		break;
	}
	pthread_mutex_unlock(&p->mu);
	return other;
}

void
pool_observe(struct pool *p, int i, const char *bucket, const struct pool_limits *l)
{
	struct bucket *bk;

	if (bucket == NULL || *bucket == '\0' || l->limit < 0 || l->remaining < 0)
		return;
	pthread_mutex_lock(&p->mu);
	bk = pool_bucket(&p->budgets[p->ids[i].budget], bucket, true);
	/*
	 * Answers complete out of order. Within one window GitHub's remaining
	 * only goes down, so an older answer must not raise it back.
	 */
	if (!bk->known || l->reset > bk->l.reset) {
		bk->l = *l;
	} else if (l->reset == bk->l.reset) {
		bk->l.limit = l->limit;
		if (l->remaining < bk->l.remaining)
			bk->l.remaining = l->remaining;
		if (l->used > bk->l.used)
			bk->l.used = l->used;
	}
	bk->known = true;
	pthread_mutex_unlock(&p->mu);
}

void
pool_exhaust(struct pool *p, int i, const char *bucket, int64_t window_secs)
{
	struct bucket *bk;
	int64_t now = util_now();

	pthread_mutex_lock(&p->mu);
	bk = pool_bucket(&p->budgets[p->ids[i].budget], bucket, true);
	/* Headers may have said so already; if not, assume a full window. */
	if (!bk->known || bk->l.reset <= now) {
		bk->l.reset = now + window_secs;
		bk->known = true;
	}
	if (bk->l.limit > 0)
		bk->l.used = bk->l.limit;
	bk->l.remaining = 0;
	pthread_mutex_unlock(&p->mu);
}

static bool
pool_header_i64(const char *v, int64_t max, int64_t *out)
{
	return v != NULL && util_parse_i64(v, strlen(v), 0, max, out) == 0;
}

/*
 * GitHub names its buckets in lower case with underscores. Anything else
 * is not taken as a name: it would become a key in /stats and a label in
 * /metrics, and an upstream inventing names could grow both.
 */
static bool
pool_bucket_name_ok(const char *s)
{
	size_t n = s ? strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") : 0;

	return n > 0 && s[n] == '\0' && n < POOL_BUCKET_NAME;
}

const char *
pool_observe_headers(struct pool *p, int i, const char *fallback,
    const char *limit, const char *remaining, const char *used,
    const char *reset, const char *resource, struct pool_limits *learned)
{
	struct pool_limits l;

	if (!pool_header_i64(limit, INT32_MAX, &l.limit) ||
	    !pool_header_i64(remaining, INT32_MAX, &l.remaining) ||
	    !pool_header_i64(reset, INT64_C(1) << 40, &l.reset))
		return NULL;
	if (!pool_header_i64(used, INT32_MAX, &l.used))
		l.used = l.limit >= l.remaining ? l.limit - l.remaining : 0;
	if (!pool_bucket_name_ok(resource))
		resource = fallback;
	pool_observe(p, i, resource, &l);
	if (learned != NULL)
		*learned = l;
	return resource;
}

bool
pool_bucket_name(const char *name)
{
	return pool_bucket_name_ok(name);
}

void
pool_set_remote(struct pool *p, int i, const char *bucket, int64_t in_flight)
{
	struct bucket *bk;

	if (!pool_bucket_name_ok(bucket) || in_flight < 0)
		return;
	pthread_mutex_lock(&p->mu);
	bk = pool_bucket(&p->budgets[p->ids[i].budget], bucket, in_flight > 0);
	if (bk != NULL)
		bk->remote_in_flight = in_flight;
	pthread_mutex_unlock(&p->mu);
}

size_t
pool_in_flight(struct pool *p, struct pool_flight *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n_ids && n < max; i++)
		for (size_t k = 0; k < p->budgets[i].n_buckets && n < max; k++) {
			const struct bucket *bk = &p->budgets[i].buckets[k];

			if (bk->in_flight <= 0)
				continue;
			out[n].identity = (int)i;
			snprintf(out[n].bucket, sizeof(out[n].bucket), "%s", bk->name);
			out[n].n = bk->in_flight;
			n++;
		}
	pthread_mutex_unlock(&p->mu);
	return n;
}

void
pool_clear_remote(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n_ids; i++)
		for (size_t k = 0; k < p->budgets[i].n_buckets; k++)
			p->budgets[i].buckets[k].remote_in_flight = 0;
	pthread_mutex_unlock(&p->mu);
}

void
pool_disable(struct pool *p, int i, uint64_t token_gen)
{
	pthread_mutex_lock(&p->mu);
	/* A 401 for a token rotated away since says nothing of the new one. */
	if (p->ids[i].token_gen == token_gen)
		p->ids[i].disabled = true;
	pthread_mutex_unlock(&p->mu);
}

void
pool_cooldown(struct pool *p, int i, int64_t secs)
{
	int64_t until = util_now() + (secs > 0 ? secs : 1);
	struct budget *b;

	pthread_mutex_lock(&p->mu);
	b = &p->budgets[p->ids[i].budget];
	if (until > b->cool_until)
		b->cool_until = until;
	pthread_mutex_unlock(&p->mu);
}

void
pool_count_error(struct pool *p, int i)
{
	pthread_mutex_lock(&p->mu);
	p->ids[i].errors++;
	pthread_mutex_unlock(&p->mu);
}

/* ------------------------------------------------------------------------
 * Selection
 * ---------------------------------------------------------------------- */

enum pool_pick_result
pool_acquire(struct pool *p, const char *bucket, int exclude, struct pool_pick *out)
{
	int64_t now = util_now(), best_score = 0;
	int best = -1;
	bool any_active = false, any_cooling_with_budget = false;
	int64_t earliest_reset = 0, earliest_cool = 0;

	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n_ids; i++) {
		struct identity *id = &p->ids[i];
		enum pool_state st = pool_state_locked(p, id, now);
		struct bucket *bk;
		int64_t rem, score;

		/* A retry must leave the whole GitHub account, not one token;
		 * but that account still counts when saying why nobody can. */
		bool excluded = exclude >= 0 && id->budget == p->ids[exclude].budget;

		if (st == POOL_DISABLED || st == POOL_REMOVED)
			continue;
		bk = pool_bucket(&p->budgets[id->budget], bucket, false);
		rem = pool_bucket_remaining(bk, now);
		score = rem - (bk ? bk->in_flight + bk->remote_in_flight : 0) - p->reserve;
		if (st == POOL_COOLING) {
			if (score > 0 && !excluded) {
				any_cooling_with_budget = true;
				int64_t until = p->budgets[id->budget].cool_until;
				if (earliest_cool == 0 || until < earliest_cool)
					earliest_cool = until;
			}
			continue;
		}
		any_active = true;
		if (score <= 0 || excluded) {
			if (bk && bk->l.reset > now &&
			    (earliest_reset == 0 || bk->l.reset < earliest_reset))
				earliest_reset = bk->l.reset;
			continue;
		}
		if (best < 0 || score > best_score ||
		    (score == best_score && id->requests < p->ids[best].requests)) {
			best = (int)i;
			best_score = score;
		}
	}
	if (best >= 0) {
		struct identity *id = &p->ids[best];
		pool_bucket(&p->budgets[id->budget], bucket, true)->in_flight++;
		id->requests++;
		out->index = best;
		out->retry_at = 0;
	}
	pthread_mutex_unlock(&p->mu);

	if (best >= 0)
		return POOL_PICKED;
	out->index = -1;
	if (any_cooling_with_budget) {
		out->retry_at = earliest_cool;
		return POOL_ALL_COOLING;
	}
	if (!any_active) {
		out->retry_at = 0;
		return POOL_NO_IDENTITY;
	}
	/* In-flight reads alone can exhaust a bucket: retry a second later. */
	out->retry_at = earliest_reset ? earliest_reset : now + 1;
	return POOL_ALL_EXHAUSTED;
}

bool
pool_acquire_one(struct pool *p, int i, const char *bucket)
{
	int64_t now = util_now();
	struct identity *id;
	struct bucket *bk;
	bool ok;

	pthread_mutex_lock(&p->mu);
	if (i < 0 || (size_t)i >= p->n_ids) {
		pthread_mutex_unlock(&p->mu);
		return false;
	}
	id = &p->ids[i];
	bk = pool_bucket(&p->budgets[id->budget], bucket, true);
	ok = pool_state_locked(p, id, now) == POOL_ACTIVE &&
	    pool_bucket_remaining(bk, now) - bk->in_flight > 0;
	if (ok) {
		bk->in_flight++;
		id->requests++;
	}
	pthread_mutex_unlock(&p->mu);
	return ok;
}

static void
pool_tally_locked(struct identity *id, const char *bucket, long status)
{
	struct tally *t = NULL;
	int cls = status >= 100 && status <= 599 ? (int)(status / 100) : 0;

	for (size_t k = 0; k < id->n_tally && t == NULL; k++)
		if (strcmp(id->tally[k].bucket, bucket) == 0)
			t = &id->tally[k];
	if (t == NULL && id->n_tally >= POOL_TALLY_BUCKETS - 1)
		bucket = "other";
	for (size_t k = 0; k < id->n_tally && t == NULL; k++)
		if (strcmp(id->tally[k].bucket, bucket) == 0)
			t = &id->tally[k];
	if (t == NULL) {
		if (id->tally == NULL)
			id->tally = util_calloc(POOL_TALLY_BUCKETS, sizeof(*id->tally));
		t = &id->tally[id->n_tally++];
		snprintf(t->bucket, sizeof(t->bucket), "%s", bucket);
	}
	t->n[cls]++;
}

void
pool_release(struct pool *p, int i, const char *bucket, long status)
{
	struct bucket *bk;

	pthread_mutex_lock(&p->mu);
	bk = pool_bucket(&p->budgets[p->ids[i].budget], bucket, false);
	if (bk != NULL && bk->in_flight > 0)
		bk->in_flight--;
	if (status >= 0)
		pool_tally_locked(&p->ids[i], bucket, status);
	pthread_mutex_unlock(&p->mu);
}

/* ------------------------------------------------------------------------
 * Reporting
 * ---------------------------------------------------------------------- */

bool
pool_summary(struct pool *p, const char *bucket, struct pool_limits *out)
{
	int64_t now = util_now();
	/* Every cache hit asks: keep the common case off the heap. The
	 * capacity, unlike n_ids, never changes (a reload may add ids). */
	bool stack_seen[128], *seen = p->cap <= 128 ? stack_seen :
	    util_calloc(p->cap, sizeof(bool)), known = false;

	memset(out, 0, sizeof(*out));
	memset(seen, 0, p->cap * sizeof(bool));
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n_ids; i++) {
		struct identity *id = &p->ids[i];
		struct bucket *bk;
		int64_t rem;

		if (id->disabled || id->removed || seen[id->budget])
			continue;
		seen[id->budget] = true;
		bk = pool_bucket(&p->budgets[id->budget], bucket, false);
		if (bk == NULL || !bk->known)
			continue;
		known = true;
		/* Usable now: not while cooling, and not what is in flight. */
		rem = pool_bucket_remaining(bk, now) - p->reserve - bk->in_flight;
		if (p->budgets[id->budget].cool_until > now)
			rem = 0;
		out->limit += bk->l.limit;
		out->remaining += rem > 0 ? rem : 0;
		out->used += (bk->l.reset > 0 && now >= bk->l.reset) ? 0 : bk->l.used;
		if (bk->l.reset > now && (out->reset == 0 || bk->l.reset < out->reset))
			out->reset = bk->l.reset;
	}
	pthread_mutex_unlock(&p->mu);
	if (seen != stack_seen)
		free(seen);
	if (out->reset == 0)
		out->reset = now + 3600;
	return known;
}

size_t
pool_usable(struct pool *p)
{
	int64_t now = util_now();
	size_t n = 0;

	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n_ids; i++)
		if (pool_state_locked(p, &p->ids[i], now) == POOL_ACTIVE)
			n++;
	pthread_mutex_unlock(&p->mu);
	return n;
}

json_t *
pool_rate_limit(struct pool *p)
{
	struct sum {
		const char *name;
		int64_t limit, remaining, reset;
	} sums[64];
	size_t n = 0;
	int64_t now = util_now();
	bool *counted;
	json_t *res = json_object(), *core;

	pthread_mutex_lock(&p->mu);
	counted = util_calloc(p->n_ids ? p->n_ids : 1, sizeof(bool));
	for (size_t i = 0; i < p->n_ids; i++) {
		struct identity *id = &p->ids[i];
		struct budget *b = &p->budgets[id->budget];

		if (pool_state_locked(p, id, now) != POOL_ACTIVE || counted[id->budget])
			continue;
		counted[id->budget] = true;
		for (size_t k = 0; k < b->n_buckets; k++) {
			struct bucket *bk = &b->buckets[k];
			size_t j;

			if (!bk->known)
				continue;
			for (j = 0; j < n && strcmp(sums[j].name, bk->name) != 0; j++)
				;
			if (j == n) {
				if (n == sizeof(sums) / sizeof(sums[0]))
					continue;
				sums[n++] = (struct sum){ bk->name, 0, 0, 0 };
			}
			sums[j].limit += bk->l.limit;
			sums[j].remaining += pool_bucket_remaining(bk, now);
			/* A bucket past its reset is full: its next reset is unknown. */
			if (bk->l.reset > now && (sums[j].reset == 0 || bk->l.reset < sums[j].reset))
				sums[j].reset = bk->l.reset;
		}
	}
	for (size_t j = 0; j < n; j++)
		json_object_set_new(res, sums[j].name, json_pack("{s:I,s:I,s:I,s:I,s:s}",
		    "limit", (json_int_t)sums[j].limit,
		    "used", (json_int_t)(sums[j].limit - sums[j].remaining),
		    "remaining", (json_int_t)sums[j].remaining,
		    "reset", (json_int_t)(sums[j].reset ? sums[j].reset : now + 3600),
		    "resource", sums[j].name));
	pthread_mutex_unlock(&p->mu);
	free(counted);
	if ((core = json_object_get(res, "core")) == NULL) {
		core = json_pack("{s:i,s:i,s:i,s:I,s:s}", "limit", 0, "used", 0, "remaining", 0,
		    "reset", (json_int_t)(now + 3600), "resource", "core");
		json_object_set_new(res, "core", core);
	}
	return json_pack("{s:o,s:O}", "resources", res, "rate", core);
}

/* {"core": {"2xx": n, ...}, ...}: only the classes that occurred. */
static json_t *
pool_tally_json(const struct identity *id)
{
	static const char *const classes[POOL_TALLY_CLASSES] = {
		"error", "1xx", "2xx", "3xx", "4xx", "5xx",
	};
	json_t *o = json_object();

	for (size_t k = 0; k < id->n_tally; k++) {
		json_t *b = json_object();

		for (int c = 0; c < POOL_TALLY_CLASSES; c++)
			if (id->tally[k].n[c] > 0)
				json_object_set_new(b, classes[c], json_integer((json_int_t)id->tally[k].n[c]));
		json_object_set_new(o, id->tally[k].bucket, b);
	}
	return o;
}

json_t *
pool_stats(struct pool *p)
{
	static const char *state_names[] = { "active", "cooling", "disabled", "removed" };
	int64_t now = util_now();
	json_t *arr = json_array();

	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n_ids; i++) {
		struct identity *id = &p->ids[i];
		struct budget *b = &p->budgets[id->budget];
		enum pool_state st = pool_state_locked(p, id, now);
		json_t *buckets = json_object(), *o;

		for (size_t k = 0; k < b->n_buckets; k++) {
			struct bucket *bk = &b->buckets[k];
			if (!bk->known)
				continue;
			json_object_set_new(buckets, bk->name, json_pack("{s:I,s:I,s:I,s:I,s:I}",
			    "limit", (json_int_t)bk->l.limit,
			    "remaining", (json_int_t)pool_bucket_remaining(bk, now),
			    "used", (json_int_t)bk->l.used,
			    "reset", (json_int_t)bk->l.reset,
			    "in_flight", (json_int_t)bk->in_flight));
		}
		o = json_pack("{s:s,s:s,s:s?,s:s,s:I,s:I,s:I,s:o}",
		    "id", id->id, "kind", id->app ? "app" : "token", "login", id->login,
		    "state", state_names[st],
		    "requests", (json_int_t)id->requests,
		    "errors", (json_int_t)id->errors,
		    "secret_resolved_at", (json_int_t)id->resolved_at, "buckets", buckets);
		if (st == POOL_COOLING)
			json_object_set_new(o, "cooling_until", json_integer(b->cool_until));
		if (id->app)
			json_object_set_new(o, "token_expires_at", json_integer(id->expires_at));
		if (id->budget != i)
			json_object_set_new(o, "shares_budget_with", json_string(p->ids[id->budget].id));
		json_object_set_new(o, "upstream", pool_tally_json(id));
		json_array_append_new(arr, o);
	}
	pthread_mutex_unlock(&p->mu);
	return json_pack("{s:o}", "identities", arr);
}

/*
 * coalesce: one upstream request per key, however many clients ask at
 * once, on whichever workers. The first asker leads and fetches; the rest
 * wait, and the leader's answer (or error) is posted to each waiter's own
 * worker through its mailbox. A failed leader hands its error to its
 * followers: no retry storm.
 */
#ifndef GHPOOL_COALESCE_H
#define GHPOOL_COALESCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cache_entry;
struct coalesce;
struct flight;
struct mailbox;

/* The leader's outcome, as a waiter sees it: an answer (entry, a
 * reference the callback must release) or an error status and message. */
struct coalesce_result {
	struct cache_entry *entry;
	int error_status;
	const char *error_message;
	const char *outcome;     /* the leader's outcome (static string) */
	int64_t retry_at;        /* for pool refusals: when to come back */
};

typedef void (*coalesce_cb)(void *arg, struct coalesce_result *res);

struct coalesce *coalesce_new(void);
void coalesce_free(struct coalesce *co);

/*
 * Joins the flight for key. Returns true when a flight was already under
 * way: cb(arg, result) will run on mb's loop. Returns false when the
 * caller leads: *leader is its flight, to be ended with coalesce_finish().
 */
bool coalesce_join(struct coalesce *co, const char *key, size_t len,
    struct mailbox *mb, coalesce_cb cb, void *arg, struct flight **leader);

/* Ends a flight: every waiter gets its own reference to entry (may be
 * NULL with an error status instead). The leader keeps its reference. */
void coalesce_finish(struct coalesce *co, struct flight *f,
    struct cache_entry *entry, int error_status, const char *error_message,
    const char *outcome, int64_t retry_at);

/* Waiters coalesced so far (for /stats). */
unsigned long coalesce_followers(struct coalesce *co);

#endif

/*
 * mailbox: how one worker thread asks another to run something on its own
 * event loop. Any thread may post; the owning loop runs the items in
 * order. Used to hand a coalesced answer to waiters on other workers.
 */
#ifndef GHPOOL_MAILBOX_H
#define GHPOOL_MAILBOX_H

#include <event2/event.h>
#include <stddef.h>

struct mailbox;

typedef void (*mailbox_fn)(void *arg);

struct mailbox *mailbox_new(struct event_base *base);

/* Thread-safe. fn(arg) runs later on the mailbox's loop. */
void mailbox_post(struct mailbox *mb, mailbox_fn fn, void *arg);

/* Runs everything posted so far, now, on the calling (owning) thread;
 * returns how many items ran. */
size_t mailbox_drain(struct mailbox *mb);

/* Drains, then frees. */
void mailbox_free(struct mailbox *mb);

#endif

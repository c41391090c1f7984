/*
 * mailbox.c - a locked queue plus a user event.
 *
 * event_active() from a foreign thread is safe because main() enables
 * libevent's pthread locking before any base exists.
 */
#include "mailbox.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>

struct mail {
	mailbox_fn fn;
	void *arg;
	struct mail *next;
};

struct mailbox {
	pthread_mutex_t mu;
	struct mail *head, *tail;
	struct event *ev;
};

static void
mailbox_on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mailbox_drain(arg);
}

struct mailbox *
mailbox_new(struct event_base *base)
{
	struct mailbox *mb = util_calloc(1, sizeof(*mb));

	pthread_mutex_init(&mb->mu, NULL);
	mb->ev = event_new(base, -1, 0, mailbox_on_event, mb);
	if (mb->ev == NULL)
		abort();
	return mb;
}

void
mailbox_post(struct mailbox *mb, mailbox_fn fn, void *arg)
{
	struct mail *m = util_calloc(1, sizeof(*m));

	m->fn = fn;
	m->arg = arg;
	pthread_mutex_lock(&mb->mu);
	if (mb->tail)
		mb->tail->next = m;
	else
		mb->head = m;
	mb->tail = m;
	pthread_mutex_unlock(&mb->mu);
	event_active(mb->ev, EV_READ, 0);
}

size_t
mailbox_drain(struct mailbox *mb)
{
	struct mail *m, *next;
	size_t n = 0;

	/* Take the whole list at once: items may post more mail. */
	pthread_mutex_lock(&mb->mu);
	m = mb->head;
	mb->head = mb->tail = NULL;
	pthread_mutex_unlock(&mb->mu);
	for (; m != NULL; m = next) {
		next = m->next;
		m->fn(m->arg);
		free(m);
		n++;
	}
	return n;
}

void
mailbox_free(struct mailbox *mb)
{
	if (mb == NULL)
		return;
	while (mailbox_drain(mb) > 0)
		;
	event_free(mb->ev);
	pthread_mutex_destroy(&mb->mu);
	free(mb);
}

/*
 * synguard.c - a SYN flood must not lock legitimate clients out.
 *
 * lwIP keeps a listener's half-open (SYN_RCVD) connections in its
 * accepts_pending count and drops every SYN once that count reaches the
 * backlog (255 here). A half-open connection to a spoofed address lives for
 * the 20-odd seconds of SYN-ACK retransmissions, so 256 SYNs lock a listener
 * for that long and about 13 SYNs a second keep it locked.
 *
 * Instead, when a SYN finds its listener full, the listener's oldest
 * half-open connection is abandoned quietly (no RST: under a flood it would
 * go to a spoofed address) and the new SYN takes its place. A real client
 * answers the SYN-ACK within one round trip; under a flood of N SYNs a second
 * each half-open connection lives about 255/N seconds, which is ample on any
 * network a service joins. (SYN cookies would need lwIP to build a connection
 * from a bare ACK, which it cannot do without changing its sources.)
 *
 * Each listener that has seen a SYN keeps, in an lwIP ext_arg slot, a FIFO of
 * its children in the order their SYNs came: lwIP's passive_open callback
 * appends, a child's destroy callback unlinks. Children that completed their
 * handshake are pruned from the head a few at a time, so the work per SYN is
 * bounded (PRUNE_MAX) whatever the number of connections.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include "netcon_lwip_hooks.h"
#include "../common/log.h"

#define PRUNE_MAX 32	/* finished children dropped from a FIFO per SYN */

struct sg_listener;

/* One child of a listener, from its SYN until the pcb is freed. */
struct sg_child {
	struct sg_child *prev, *next;
	struct sg_listener *l;		/* NULL once the listener is gone */
	struct tcp_pcb *pcb;
};

/* A listener's children, oldest SYN first. */
struct sg_listener {
	struct sg_child *head, *tail;
};

static struct {
	u8_t id;
	bool id_set;
	unsigned long evicted;
} sg;

/* unlink() - takes @c out of its listener's FIFO (if it is in one). */
static void unlink_child(struct sg_child *c)
{
	struct sg_listener *l = c->l;

	if (!l)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	c->l = NULL;
}

/*
 * child_destroyed() - lwIP frees a child pcb (handshake abandoned, or the
 * connection it became has ended): forget it.
 */
static void child_destroyed(u8_t id, void *data)
{
	struct sg_child *c = data;

	(void)id;
	if (!c)
		return;
	unlink_child(c);
	free(c);
}

static const struct tcp_ext_arg_callbacks child_callbacks = {
	.destroy = child_destroyed,
};

/*
 * listener_destroyed() - lwIP frees a listener: its remaining children live
 * on without it (lwIP has cleared their listener pointers), so detach them.
 */
static void listener_destroyed(u8_t id, void *data)
{
	struct sg_listener *l = data;
	struct sg_child *c, *next;

	(void)id;
	if (!l)
		return;
	for (c = l->head; c; c = next) {
		next = c->next;
		c->prev = c->next = NULL;
		c->l = NULL;
	}
	free(l);
}

/*
 * child_opened() - lwIP made a SYN_RCVD child for a listener we track:
 * append it to the listener's FIFO. Without memory the child goes untracked
 * (it can then not be evicted, which only weakens the guard).
 */
static err_t child_opened(u8_t id, struct tcp_pcb_listen *lpcb, struct tcp_pcb *cpcb)
{
	struct sg_listener *l = tcp_ext_arg_get((struct tcp_pcb *)lpcb, id);
	struct sg_child *c;

	if (!l || !(c = calloc(1, sizeof(*c))))
		return ERR_OK;
	c->pcb = cpcb;
	c->l = l;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	tcp_ext_arg_set_callbacks(cpcb, id, &child_callbacks);
	tcp_ext_arg_set(cpcb, id, c);
	return ERR_OK;
}

static const struct tcp_ext_arg_callbacks listener_callbacks = {
	.destroy = listener_destroyed,
	.passive_open = child_opened,
};

/*
 * tracked() - the FIFO of @lpcb, set up at its first SYN (before lwIP makes
 * the child, so every child is seen). NULL without memory.
 */
static struct sg_listener *tracked(struct tcp_pcb_listen *lpcb)
{
	struct tcp_pcb *pcb = (struct tcp_pcb *)lpcb;
	struct sg_listener *l;

	if (!sg.id_set) {
		sg.id = tcp_ext_arg_alloc_id();
		sg.id_set = true;
	}
	l = tcp_ext_arg_get(pcb, sg.id);
	if (l)
		return l;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	tcp_ext_arg_set_callbacks(pcb, sg.id, &listener_callbacks);
	tcp_ext_arg_set(pcb, sg.id, l);
	return l;
}

/*
 * netcon_syn_admit() - a SYN (no ACK) reached listener @lpcb and the accept
 * queue has room. Drops up to PRUNE_MAX children that are past SYN_RCVD from
 * the FIFO's head; if the listener's half-open slots are all taken, abandons
 * the oldest half-open child so that lwIP takes the SYN. False if the SYN
 * must be dropped (all slots taken and no half-open child found in bounded
 * work). Called by netcon_tcp_inpacket() (sock.c).
 */
int netcon_syn_admit(struct tcp_pcb_listen *lpcb)
{
	struct sg_listener *l = tracked(lpcb);
	struct sg_child *c;
	int budget = PRUNE_MAX;

	if (!l)
		return true;
	while ((c = l->head) && c->pcb->state != SYN_RCVD && budget-- > 0)
		unlink_child(c);	/* freed with its pcb */
	if (lpcb->accepts_pending < lpcb->backlog)
		return true;
	c = l->head;
	if (!c || c->pcb->state != SYN_RCVD)
		return false;
	/* tcp_abandon() gives the slot back (tcp_backlog_accepted()) and frees c. */
	tcp_abandon(c->pcb, 0);
	if (sg.evicted++ % 10000 == 0)
		nc_info("SYN flood on port %u? %lu half-open connections evicted so far",
			lpcb->local_port, sg.evicted);
	return lpcb->accepts_pending < lpcb->backlog;
}


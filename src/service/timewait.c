/*
 * timewait.c - TIME_WAIT without lwIP's linear lists.
 *
 * lwIP keeps every TIME_WAIT connection in one list and walks it for each
 * segment that matches no active connection (every SYN among them) and for
 * each connect() of a socket with SO_REUSEADDR (all of ours). A service that
 * opens and closes thousands of connections a second holds tens of thousands
 * of them for the 60 s of TIME_WAIT, and each new connection then costs
 * milliseconds of list walking.
 *
 * So lwIP keeps only the newest TW_LWIP_MAX of them, for at most TW_LWIP_MS:
 * long enough to answer a peer whose last ACK was lost and that sends its FIN
 * again. Older ones are removed from lwIP (quietly: a TIME_WAIT PCB sends no
 * RST when aborted) and remembered here, in a hash table, for the one thing
 * that still needs them: connect() must not reuse a 4-tuple that left
 * ESTABLISHED less than TW_REUSE_MS ago. Past that, the service reuses the
 * 4-tuple as Linux's tcp_tw_reuse does with timestamps, so the table forgets
 * it. A segment that arrives for a forgotten 4-tuple is answered as for any
 * unknown connection: a SYN to a listener opens a new one, anything else gets
 * an RST, as Linux does after its TIME_WAIT ends.
 */
#include <stdlib.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include "sock.h"
#include "clock.h"
#include "timewait.h"
#include "loop.h"

#define TW_LWIP_MAX 32		/* newest TIME_WAIT PCBs left in lwIP */
#define TW_LWIP_MS 2000		/* the longest one stays there */
#define TW_REUSE_MS 1000	/* after this a 4-tuple may be used again */
#define TW_BUCKETS 4096		/* power of two */

struct tw_entry {
	ip_addr_t lip, rip;
	uint16_t lport, rport;
	bool reuse;			/* its socket had SO_REUSEADDR */
	uint64_t expires_ms;		/* entered TIME_WAIT + TW_REUSE_MS */
	struct tw_entry *hnext;		/* same bucket */
	struct tw_entry *fnext;		/* next younger entry */
};

static struct {
	struct tw_entry *bucket[TW_BUCKETS];
	struct tw_entry *oldest, *youngest;	/* expiry order */
	uint32_t per_port[65536];		/* entries by local port */
	uint32_t per_port_noreuse[65536];	/* ... of sockets without SO_REUSEADDR */
	u8_t owner_id;				/* lwIP ext arg: a closed socket's SO_REUSEADDR */
	u8_t seen_id;				/* lwIP ext arg marking PCBs seen */
	struct tcp_pcb *last_head;		/* tcp_tw_pcbs after the last drain */
	u32_t last_ticks;			/* tcp_ticks at the last drain */
	bool seen_id_set;
} tw;

/* bucket_of() - where a 4-tuple lives; the local address is left out so that
 * a lookup with an unspecified local address finds it. */
static unsigned bucket_of(const ip_addr_t *rip, uint16_t lport, uint16_t rport)
{
	uint32_t h = (uint32_t)lport * 0x9e3779b1u ^ (uint32_t)rport * 0x85ebca6bu;

	if (IP_IS_V4(rip))
		h ^= ip4_addr_get_u32(ip_2_ip4(rip)) * 0xc2b2ae35u;
	else
		h ^= ip_2_ip6(rip)->addr[3] * 0xc2b2ae35u ^ ip_2_ip6(rip)->addr[2];
	h ^= h >> 15;
	return h & (TW_BUCKETS - 1);
}

static bool tuple_matches(const struct tw_entry *e, const ip_addr_t *lip, uint16_t lport,
			  const ip_addr_t *rip, uint16_t rport)
{
	return e->lport == lport && e->rport == rport && ip_addr_cmp(&e->rip, rip) &&
	       (ip_addr_isany(lip) || ip_addr_cmp(&e->lip, lip));
}

/* expire() - forget the 4-tuples that may be reused by now. */
static void expire(uint64_t now)
{
	struct tw_entry *e, **pp;

	while ((e = tw.oldest) && e->expires_ms <= now) {
		tw.oldest = e->fnext;
		if (!tw.oldest)
			tw.youngest = NULL;
		pp = &tw.bucket[bucket_of(&e->rip, e->lport, e->rport)];
		while (*pp != e)
			pp = &(*pp)->hnext;
		*pp = e->hnext;
		tw.per_port[e->lport]--;
		if (!e->reuse)
			tw.per_port_noreuse[e->lport]--;
		free(e);
	}
}

/* owner_reuse() - did the socket that closed @pcb have SO_REUSEADDR? */
static bool owner_reuse(const struct tcp_pcb *pcb)
{
	return tcp_ext_arg_get(pcb, tw.owner_id) == (void *)1;
}

/*
 * remember() - keep @pcb's 4-tuple until TW_REUSE_MS after it entered
 * TIME_WAIT. Entries arrive roughly in age order, and one that does not
 * (a younger PCB drained earlier for the count limit) only expires late.
 */
static void remember(const struct tcp_pcb *pcb, uint64_t entered_ms)
{
	struct tw_entry *e = malloc(sizeof(*e));
	unsigned b;

	if (!e)
		return;	/* forgetting early only allows an early reuse */
	ip_addr_copy(e->lip, pcb->local_ip);
	ip_addr_copy(e->rip, pcb->remote_ip);
	e->lport = pcb->local_port;
	e->rport = pcb->remote_port;
	e->reuse = owner_reuse(pcb);
	e->expires_ms = entered_ms + TW_REUSE_MS;
	if (tw.youngest && e->expires_ms < tw.youngest->expires_ms)
		e->expires_ms = tw.youngest->expires_ms;
	b = bucket_of(&e->rip, e->lport, e->rport);
	e->hnext = tw.bucket[b];
	tw.bucket[b] = e;
	e->fnext = NULL;
	if (tw.youngest)
		tw.youngest->fnext = e;
	else
		tw.oldest = e;
	tw.youngest = e;
	tw.per_port[e->lport]++;
	if (!e->reuse)
		tw.per_port_noreuse[e->lport]++;
}

/* drain_hook() - the loop's hook: nc_timewait_drain() after every batch. */
static int drain_hook(void)
{
	nc_timewait_drain();
	return -1;
}

/* nc_timewait_init() - once, with TCP: drain after every batch of events. */
void nc_timewait_init(void)
{
	tw.owner_id = tcp_ext_arg_alloc_id();
	nc_loop_add_hook(NC_PHASE_AFTER_STACK, drain_hook);
}

void nc_timewait_drain(void)
{
	struct tcp_pcb *pcb, *next;
	unsigned kept = 0;
	uint64_t now;

	if (!tcp_tw_pcbs && !tw.oldest)
		return;
	/*
	 * Runs every loop iteration: nothing to do until a PCB enters TIME_WAIT
	 * (the list's head changes) or lwIP's clock moves (every 100 ms).
	 */
	if (tcp_tw_pcbs == tw.last_head && tcp_ticks == tw.last_ticks)
		return;
	now = nc_now_ms();
	expire(now);
	if (!tw.seen_id_set) {
		tw.seen_id = tcp_ext_arg_alloc_id();
		tw.seen_id_set = true;
	}
	/* The list is newest first: keep the head, move out the tail. */
	for (pcb = tcp_tw_pcbs; pcb; pcb = next) {
		uint64_t age_ms;

		next = pcb->next;
		if (!tcp_ext_arg_get(pcb, tw.seen_id)) {
			/*
			 * First sight, which is within one loop iteration of
			 * entering TIME_WAIT. lwIP stops refreshing tmr once
			 * the program has closed, so it may date from long
			 * before: TIME_WAIT starts now.
			 */
			tcp_ext_arg_set(pcb, tw.seen_id, pcb);
			pcb->tmr = tcp_ticks;
		}
		age_ms = (uint64_t)(u32_t)(tcp_ticks - pcb->tmr) * TCP_SLOW_INTERVAL;
		if (kept < TW_LWIP_MAX && age_ms < TW_LWIP_MS) {
			kept++;
			continue;
		}
		nc_sock_pcb_leaving(pcb);	/* a program may still hold the socket (notes its SO_REUSEADDR) */
		if (age_ms < TW_REUSE_MS)
			remember(pcb, now - age_ms);
		tcp_abort(pcb);	/* a TIME_WAIT PCB leaves without an RST */
	}
	tw.last_head = tcp_tw_pcbs;
	tw.last_ticks = tcp_ticks;
}

bool nc_timewait_recent(const ip_addr_t *lip, uint16_t lport, const ip_addr_t *rip,
			uint16_t rport)
{
	const struct tw_entry *e;

	expire(nc_now_ms());
	for (e = tw.bucket[bucket_of(rip, lport, rport)]; e; e = e->hnext)
		if (tuple_matches(e, lip, lport, rip, rport))
			return true;
	return false;
}

bool nc_timewait_port_busy(uint16_t lport)
{
	const struct tcp_pcb *pcb;

	expire(nc_now_ms());
	if (tw.per_port[lport])
		return true;
	for (pcb = tcp_tw_pcbs; pcb; pcb = pcb->next)
		if (pcb->local_port == lport)
			return true;
	return false;
}

void nc_timewait_note_close(struct tcp_pcb *pcb, bool reuseaddr)
{
	tcp_ext_arg_set(pcb, tw.owner_id, reuseaddr ? (void *)1 : (void *)2);
}

/* addr_overlap() - would a bind to @ip clash with one to @other (either a wildcard, or equal)? */
static bool addr_overlap(const ip_addr_t *ip, const ip_addr_t *other)
{
	return ip_addr_isany(ip) || ip_addr_isany(other) || ip_addr_cmp(ip, other);
}

/* closing_conflict() - does a closed socket's PCB still closing in @list hold the port for bind? */
static bool closing_conflict(struct tcp_pcb *list, const ip_addr_t *ip, uint16_t port,
			     bool reuseaddr)
{
	const struct tcp_pcb *pcb;

	for (pcb = list; pcb; pcb = pcb->next) {
		if (pcb->local_port != port || pcb->callback_arg ||
		    !tcp_ext_arg_get(pcb, tw.owner_id) || !addr_overlap(ip, &pcb->local_ip))
			continue;
		if (!(reuseaddr && owner_reuse(pcb)))
			return true;
	}
	return false;
}

bool nc_timewait_bind_conflict(const ip_addr_t *ip, uint16_t port, bool reuseaddr)
{
	expire(nc_now_ms());
	if (tw.per_port_noreuse[port] || (!reuseaddr && tw.per_port[port]))
		return true;
	return closing_conflict(tcp_tw_pcbs, ip, port, reuseaddr) ||
	       closing_conflict(tcp_active_pcbs, ip, port, reuseaddr);
}

/*
 * oosguard.c - bounds on the out-of-order queue, per connection and in total.
 *
 * lwIP queues every segment that arrives beyond a hole on pcb->ooseq, one
 * tcp_seg per segment, and walks that list for each new one (to insert it,
 * then to check the limits below). Without a bound on the number of
 * segments, a peer that sends 1-byte segments beyond a hole grows the list
 * without end and every segment costs a walk of all the others: 69,000 of
 * them held a service at 96% CPU. lwIP calls TCP_OOSEQ_BYTES_LIMIT(pcb) and
 * TCP_OOSEQ_PBUFS_LIMIT(pcb) (lwipopts.h) after each insertion and drops the
 * queue's tail beyond them; these functions give those limits.
 *
 * Per connection: bytes up to TCP_OOSEQ_MAX_BYTES (more than a window, so
 * never binding for an honest peer), and segments up to a window's worth of
 * the connection's MSS plus a quarter, at least OOS_FLOOR_PBUFS and at most
 * OOS_MAX_PBUFS: a window of full-sized segments always fits (234 on a
 * 9000-byte link, 1449 on a 1500-byte one), a flood of tiny ones stops there
 * and each of its segments costs one walk of at most that many.
 *
 * In total: every OOS_SCAN_MS (at most, and only while out-of-order segments
 * arrive) the active connections' queues are added up. While the total is
 * over OOS_TOTAL_PBUFS or OOS_TOTAL_BYTES, each connection's limit shrinks in
 * proportion (to its fair share when many queues are full), never below the
 * floors, so memory stays bounded however many connections a flood opens.
 *
 * Tiny segments: even bounded, a queue of 1,800 segments (a window's worth at
 * MSS 1460, which any peer may announce) costs two walks of 1,800 per flood
 * segment. So netcon_tcp_inpacket() asks netcon_ooseq_admit() first: an
 * out-of-order segment under a quarter of the MSS is dropped before lwIP
 * sees it when more than OOS_TINY_MAX segments are queued already. Honest
 * peers send full-sized segments while a hole is open (a tiny one is at most
 * the tail of a write: dropped, it is sent again), a tiny flood then costs
 * a walk of OOS_TINY_MAX per segment.
 */
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include "netcon_lwip_hooks.h"
#include "clock.h"

#define OOS_FLOOR_PBUFS 64u
#define OOS_MAX_PBUFS 2048u
#define OOS_FLOOR_BYTES (256u * 1024)
#define OOS_TOTAL_PBUFS 65536u
#define OOS_TOTAL_BYTES (128u * 1024 * 1024)
#define OOS_SCAN_MS 10
#define OOS_SCAN_MAX (1u << 20)	/* segments looked at per scan, at most */
#define OOS_TINY_MAX 128u

static struct {
	uint64_t scanned_ms;
	u32_t pbufs, bytes;		/* totals at the last scan */
} oos;

/*
 * refresh() - adds up every active connection's out-of-order queue, at most
 * once per OOS_SCAN_MS and at most OOS_SCAN_MAX segments (a total that big
 * is over budget anyway).
 */
static void refresh(void)
{
	uint64_t now = nc_now_ms();
	u32_t pbufs = 0, bytes = 0, seen = 0;
	struct tcp_pcb *pcb;
	struct tcp_seg *seg;

	if (now - oos.scanned_ms < OOS_SCAN_MS)
		return;
	oos.scanned_ms = now;
	for (pcb = tcp_active_pcbs; pcb && seen < OOS_SCAN_MAX; pcb = pcb->next)
		for (seg = pcb->ooseq; seg && seen < OOS_SCAN_MAX; seg = seg->next, seen++) {
			pbufs += pbuf_clen(seg->p);
			bytes += seg->p->tot_len;
		}
	oos.pbufs = pbufs;
	oos.bytes = bytes;
}

/*
 * scaled() - @limit, shrunk by @budget / @total when the service holds more
 * than @budget in all, but not below @floor.
 */
static u32_t scaled(u32_t limit, u32_t floor, u32_t total, u32_t budget)
{
	uint64_t v;

	if (total <= budget)
		return limit;
	v = (uint64_t)limit * budget / total;
	return v < floor ? floor : (u32_t)v;
}

/* netcon_ooseq_bytes_limit() - TCP_OOSEQ_BYTES_LIMIT(pcb) for lwIP. */
u32_t netcon_ooseq_bytes_limit(const struct tcp_pcb *pcb)
{
	(void)pcb;
	refresh();
	return scaled(TCP_OOSEQ_MAX_BYTES, OOS_FLOOR_BYTES, oos.bytes, OOS_TOTAL_BYTES);
}

/* netcon_ooseq_pbufs_limit() - TCP_OOSEQ_PBUFS_LIMIT(pcb) for lwIP. */
u16_t netcon_ooseq_pbufs_limit(const struct tcp_pcb *pcb)
{
	u32_t mss = pcb->mss > 536 ? pcb->mss : 536;
	u32_t need = TCP_WND / mss;
	u32_t limit = need + need / 4 + 16;

	if (limit < OOS_FLOOR_PBUFS)
		limit = OOS_FLOOR_PBUFS;
	if (limit > OOS_MAX_PBUFS)
		limit = OOS_MAX_PBUFS;
	refresh();
	return (u16_t)scaled(limit, OOS_FLOOR_PBUFS, oos.pbufs, OOS_TOTAL_PBUFS);
}

/*
 * netcon_ooseq_admit() - false if segment @hdr (payload @p) on @pcb is a
 * tiny out-of-order one (no SYN, FIN or RST) and more than OOS_TINY_MAX
 * segments are queued out of order already: the hook then drops it. The
 * walk is bounded by OOS_TINY_MAX.
 */
int netcon_ooseq_admit(const struct tcp_pcb *pcb, const struct tcp_hdr *hdr, const struct pbuf *p)
{
	const struct tcp_seg *seg;
	u32_t n = 0;

	if (!pcb->ooseq || !p->tot_len || (u32_t)p->tot_len * 4 >= pcb->mss ||
	    (TCPH_FLAGS(hdr) & (TCP_SYN | TCP_FIN | TCP_RST)) || hdr->seqno == pcb->rcv_nxt)
		return 1;
	for (seg = pcb->ooseq; seg && n <= OOS_TINY_MAX; seg = seg->next)
		n++;
	return n <= OOS_TINY_MAX;
}

/*
 * stack.c - lwIP's platform for netcon: initial sequence numbers,
 * assertions, and the interfaces. (Time is clock.c's, random numbers are
 * random.c's.)
 *
 * lwIP runs with NO_SYS=1: nothing inside it runs on its own. The event loop
 * calls nc_stack_input() for every frame, and nc_stack_poll() after every
 * batch of events, which fires due timers and delivers packets that lwIP sent
 * to its own addresses (loopback).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "lwip/init.h"
#include "lwip/ip.h"
#include "lwip/ip4_frag.h"
#include "lwip/ip6_frag.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/igmp.h"
#include "lwip/netif.h"
#include "lwip/nd6.h"
#include "lwip/pbuf.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/etharp.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include "stack.h"
#include "clock.h"
#include "random.h"
#include "gateway.h"
#include "link.h"
#include "loop.h"
#include "netcon_lwip_hooks.h"
#include "lwip/tso.h"
#include "../common/log.h"
#include "../common/underlay.h"
#include "iobuf.h"

#define PROBE_COUNT	3
#define PROBE_WAIT_MS	150
#define RX_KEEP_MIN	4096	/* smaller frames are copied out of the lent buffer */

static struct {
	struct netif eth;
	struct nc_config *cfg;
	uint64_t isn_key[2];
	/* Address probing (RFC 5227 in short): a reply or a rival's probe. */
	bool probing;
	uint32_t probe_addr;
	bool probe_conflict;
	struct pbuf *rx_spare;		/* lent to the link for the next frame */
	bool trust_netcon_macs;		/* the local switch: see set_checksum_policy() */
} stack;

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND							\
	do {								\
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;			\
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;			\
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

/* siphash24() - SipHash-2-4 of @len bytes (a multiple of 8) under @key. */
static uint64_t siphash24(const uint64_t key[2], const uint64_t *in, size_t words)
{
	uint64_t v0 = 0x736f6d6570736575ull ^ key[0];
	uint64_t v1 = 0x646f72616e646f6dull ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ key[0];
	uint64_t v3 = 0x7465646279746573ull ^ key[1];
	uint64_t b = (uint64_t)(words * 8) << 56;
	size_t i;

	for (i = 0; i < words; i++) {
		v3 ^= in[i];
		SIPROUND;
		SIPROUND;
		v0 ^= in[i];
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * netcon_tcp_isn() - RFC 6528: a clock ticking every 4 µs plus a keyed hash
 * of the connection's addresses and ports, so sequence numbers can be neither
 * predicted from outside nor repeated by a quick reconnection.
 */
u32_t netcon_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
		     const ip_addr_t *remote_ip, u16_t remote_port)
{
	uint64_t in[6] = { 0 };
	uint64_t ticks;

	memcpy(&in[0], local_ip, sizeof(*local_ip) < 16 ? sizeof(*local_ip) : 16);
	memcpy(&in[2], remote_ip, sizeof(*remote_ip) < 16 ? sizeof(*remote_ip) : 16);
	in[4] = ((uint64_t)local_port << 16) | remote_port;
	in[5] = IP_GET_TYPE(local_ip);
	ticks = nc_now_us() / 4u;
	return (u32_t)(ticks + siphash24(stack.isn_key, in, 6));
}

/* netcon_lwip_assert() - lwIP found something impossible: log it and go on. */
void netcon_lwip_assert(const char *msg, const char *file, int line)
{
	nc_err("lwIP assertion \"%s\" at %s:%d (continuing)", msg, file, line);
}

void netcon_lwip_diag(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	nc_debug("lwIP: %s", buf);
}

/* netcon_ip6_gateway() - the next hop for an off-link IPv6 destination. */
const ip6_addr_t *netcon_ip6_gateway(struct netif *netif, const ip6_addr_t *dest)
{
	static ip6_addr_t gw;

	(void)dest;
	if (netif != &stack.eth || !stack.cfg->have_gw6)
		return NULL;
	memcpy(gw.addr, &stack.cfg->gw6, 16);
	ip6_addr_clear_zone(&gw);
	return &gw;
}

/*
 * eth_output() - lwIP's link output: one frame to the link. A pbuf chain
 * (a segment whose data lwIP references in tcp.c's send ring, headers in
 * the first pbuf) goes in pieces where the link takes them, so that its
 * data is copied once, into the kernel; otherwise it is gathered first.
 */
static err_t eth_output(struct netif *netif, struct pbuf *p)
{
	static uint8_t frame[NC_LINK_FRAME_MAX] NC_IO_ALIGNED;
	struct iovec iov[NC_FRAME_PIECES];
	const uint8_t *f = p->payload;

	(void)netif;
	_Static_assert(sizeof(frame) >= 0xffff, "a pbuf chain's 16-bit length fits the frame");
	/* The first pbuf must hold what the gateway's and the tap's header checks read. */
	if (p->next && nc_link_takes_pieces() && p->len >= NC_ETH_HDR_LEN + 40 &&
	    nc_gateway_classify(p->payload, p->len) == NC_GATEWAY_NOT) {
		const struct pbuf *q;
		int n = 0;

		for (q = p; q && n < NC_FRAME_PIECES; q = q->next)
			if (q->len)
				iov[n++] = (struct iovec){ .iov_base = q->payload, .iov_len = q->len };
		if (!q) {
			nc_link_sendv(iov, n, p->tot_len);
			return ERR_OK;
		}
	}
	if (p->next) {
		pbuf_copy_partial(p, frame, p->tot_len, 0);
		f = frame;
	}
	/* The gateway (--nat, --publish) is a host on this link that only we see. */
	if (nc_gateway_frame(f, p->tot_len) != NC_GATEWAY_ONLY)
		nc_link_send(f, p->tot_len);
	return ERR_OK;
}

/*
 * nc_ip4_frag_or_tso(), nc_ip6_frag_or_tso() - lwIP's IP layers call these
 * where they would fragment (lwip/tso.h): a TCP segment for a link that
 * segments (a tap with TSO) leaves whole; anything else is fragmented.
 */
err_t nc_ip4_frag_or_tso(struct pbuf *p, struct netif *netif, const ip4_addr_t *dest)
{
	if (netif == &stack.eth && nc_link_segments() && p->len >= IP_HLEN &&
	    IPH_PROTO((struct ip_hdr *)p->payload) == IP_PROTO_TCP)
		return netif->output(netif, p, dest);
	return ip4_frag(p, netif, dest);
}

err_t nc_ip6_frag_or_tso(struct pbuf *p, struct netif *netif, const ip6_addr_t *dest)
{
	if (netif == &stack.eth && nc_link_segments() && p->len >= IP6_HLEN &&
	    IP6H_NEXTH((struct ip6_hdr *)p->payload) == IP6_NEXTH_TCP)
		return netif->output_ip6(netif, p, dest);
	return ip6_frag(p, netif, dest);
}

/*
 * nc_stack_raise_mss() - a connection just established over a link that
 * segments (a tap with TSO) sends segments of TSO_SEGS times the agreed
 * MSS, which the kernel takes whole: one frame and one system call where
 * there were TSO_SEGS. Not a whole 64 KiB: lwIP sends a segment only when
 * the peer's window holds all of it (a smaller window waits for the
 * persist timer to split it), and a kernel's first window is about 64 KiB.
 * The initial congestion window follows the new MSS (from 4380 bytes, a
 * segment would never have fitted). The peer's MSS still decides what it
 * sends us; other links keep the MSS the handshake agreed. Returns that
 * agreed MSS (what TCP_MAXSEG and TCP_INFO report, as Linux does under
 * TSO), or 0 if the MSS is left alone.
 */
#define TSO_SEGS	16

u16_t nc_stack_raise_mss(struct tcp_pcb *pcb)
{
	u16_t agreed = pcb->mss;
	u32_t mss;

	if (!nc_link_segments() || ip_route(&pcb->local_ip, &pcb->remote_ip) != &stack.eth)
		return 0;
	mss = LWIP_MIN((u32_t)pcb->mss * TSO_SEGS, (u32_t)TCP_MSS);
	if (mss <= pcb->mss)
		return 0;
	pcb->mss = (u16_t)mss;
	if (pcb->cwnd < 2 * mss)	/* RFC 3390's min(4 MSS, max(2 MSS, 4380)) */
		pcb->cwnd = 2 * mss;
	return agreed;
}

/* Checksums lwIP computes on what it sends, and what it verifies as well. */
#define CHECKSUM_GEN	(NETIF_CHECKSUM_GEN_IP | NETIF_CHECKSUM_GEN_UDP | NETIF_CHECKSUM_GEN_TCP | \
			 NETIF_CHECKSUM_GEN_ICMP | NETIF_CHECKSUM_GEN_ICMP6)
#define CHECKSUM_ALL	NETIF_CHECKSUM_ENABLE_ALL

/*
 * set_checksum_policy() - which checksum work each interface does.
 * Segments on the loopback interface never leave lwIP: neither computed nor
 * verified. On the link everything sent is computed (a kernel on the other
 * end drops a segment with a wrong checksum), and everything received is
 * verified, with one exception decided per frame in nc_stack_input(): on
 * the local switch, frames from a netcon service (source MAC under
 * NC_MAC_PREFIX) are not verified. Verifying cost about 10% of a service's
 * CPU, and those frames are datagrams of a Unix socket between processes
 * of this machine, which nothing corrupts on the way. Frames from anything
 * else on the switch (a vde_plug cable from a kernel namespace or a tap,
 * another engine, an uplink) are verified, and so is everything on every
 * other kind of link (tap, vxvde, agno, vlan, slirp, any URL given as is).
 * Checksums guard against corruption, not against forgery: a sender able to
 * forge netcon's MAC prefix could as well send correctly checksummed data of
 * its choosing, so skipping verification for netcon-marked frames gives a
 * hostile sender nothing it did not have.
 */
static void set_checksum_policy(const struct nc_config *cfg)
{
	struct netif *netif;

	NETIF_FOREACH(netif) {
		if (netif->name[0] == 'l' && netif->name[1] == 'o')
			NETIF_SET_CHECKSUM_CTRL(netif, 0);
	}
	NETIF_SET_CHECKSUM_CTRL(&stack.eth, CHECKSUM_ALL);
	stack.trust_netcon_macs = cfg->link_kind == NC_LINK_DEFAULT_SWITCH ||
				  cfg->link_kind == NC_LINK_SWITCH;
}

/*
 * nc_mac_is_netcon() - the MAC carries netcon's prefix: a service made it
 * (or was told to use it with --mac).
 */
bool nc_mac_is_netcon(const uint8_t mac[6])
{
	static const uint8_t prefix[3] = { NC_MAC_PREFIX0, NC_MAC_PREFIX1, NC_MAC_PREFIX2 };

	return !memcmp(mac, prefix, sizeof(prefix));
}

/*
 * checksum_frame() - before a frame goes to lwIP: verify its checksums
 * unless it comes from a netcon service on the local switch (see
 * set_checksum_policy) or the kernel vouched for them on a tap with
 * offloads (its segments may carry only the pseudo-header's sum). lwIP runs with NO_SYS=1 and its input is
 * synchronous, so the interface's flags set here hold for exactly this
 * frame; it costs a comparison per frame.
 */
static void checksum_frame(const uint8_t *frame)
{
	u16_t want = CHECKSUM_ALL;

	if ((stack.trust_netcon_macs && nc_mac_is_netcon(frame + 6)) || nc_link_frame_checked())
		want = CHECKSUM_GEN;
	if (stack.eth.chksum_flags != want)
		NETIF_SET_CHECKSUM_CTRL(&stack.eth, want);
}

/*
 * ip4_frag_safe_mtu() - @mtu lowered (by at most 7 bytes) so that an IPv4
 * packet's payload room, mtu - 20, is a multiple of 8. lwIP 2.1.3's
 * ip4_frag() decides that a fragment is the last when what is left fits in
 * mtu - 20, but cuts fragments at the multiple of 8 below it: with 9000, a
 * datagram whose last 1 to 4 bytes spill into a fragment of their own was
 * sent with "more fragments" cleared one fragment early, and the receiver
 * reassembled it without those bytes (found by tests/apps/udp_echo.py).
 */
static u16_t ip4_frag_safe_mtu(unsigned mtu)
{
	return (u16_t)(mtu - (mtu - 20) % 8);
}

/*
 * link_mtu_changed() - the local switch's uplink lowered (or raised) the
 * MTU: new connections and datagrams size themselves by it; established
 * connections keep the segment size they agreed.
 */
static void link_mtu_changed(unsigned mtu)
{
	stack.eth.mtu = ip4_frag_safe_mtu(mtu);
#if LWIP_IPV6 && LWIP_ND6_ALLOW_RA_UPDATES
	stack.eth.mtu6 = (u16_t)mtu;
#endif
}

static err_t eth_init(struct netif *netif)
{
	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->output = etharp_output;
	netif->output_ip6 = ethip6_output;
	netif->linkoutput = eth_output;
	netif->mtu = ip4_frag_safe_mtu(nc_link_mtu());
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, stack.cfg->mac, ETH_HWADDR_LEN);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		       NETIF_FLAG_MLD6 | NETIF_FLAG_IGMP | NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

/*
 * watch_probe() - while probing for an address, note any ARP packet that
 * shows another host using it or probing for it too.
 */
static void watch_probe(const uint8_t *frame, size_t len)
{
	const struct etharp_hdr *arp;
	uint32_t sip, dip;

	if (len < SIZEOF_ETH_HDR + SIZEOF_ETHARP_HDR || frame[12] != 0x08 || frame[13] != 0x06)
		return;
	arp = (const struct etharp_hdr *)(frame + SIZEOF_ETH_HDR);
	if (!memcmp(&arp->shwaddr, stack.cfg->mac, ETH_HWADDR_LEN))
		return;
	memcpy(&sip, &arp->sipaddr, 4);
	memcpy(&dip, &arp->dipaddr, 4);
	if (sip == stack.probe_addr || (sip == 0 && dip == stack.probe_addr))
		stack.probe_conflict = true;
}

/*
 * nc_stack_rx_buffer() - the link receives each frame straight into a pbuf
 * (the one kept in stack.rx_spare), so a full-sized frame reaches lwIP
 * without a copy. One frame-sized pbuf is lent at a time; it stays lent
 * until a frame big enough to keep it arrives.
 */
uint8_t *nc_stack_rx_buffer(size_t size)
{
	if (!stack.rx_spare && size <= 0xffff)
		stack.rx_spare = pbuf_alloc(PBUF_RAW, (u16_t)size, PBUF_RAM);
	return stack.rx_spare ? stack.rx_spare->payload : NULL;
}

/*
 * nc_stack_input() - a frame from the link, already checked by
 * nc_link_input_frame() (at least 60 bytes, at most a link's largest
 * frame; anything else is refused here too). If it is in the lent pbuf and
 * fills at least RX_KEEP_MIN bytes and a quarter of it (lwIP cannot shrink
 * a buffer in place), that pbuf goes to lwIP as it is;
 * a smaller frame (an ACK, a short message) is copied into a pbuf of its
 * own size, so that queued segments do not each pin a jumbo buffer.
 */
void nc_stack_input(const uint8_t *frame, size_t len)
{
	struct pbuf *p;

	if (len < NC_ETH_MIN_FRAME || len > 0xffff)
		return;
	checksum_frame(frame);
	if (stack.probing)
		watch_probe(frame, len);
	if (stack.rx_spare && frame == stack.rx_spare->payload && len >= RX_KEEP_MIN &&
	    len >= stack.rx_spare->len / 4u && len <= stack.rx_spare->len) {
		p = stack.rx_spare;
		stack.rx_spare = NULL;
		pbuf_realloc(p, (u16_t)len);
	} else {
		p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
		if (!p)
			return;
		memcpy(p->payload, frame, len);
	}
	if (stack.eth.input(p, &stack.eth) != ERR_OK)
		pbuf_free(p);
}

/*
 * send_probe() - ARP "who has @addr" from 0.0.0.0 (RFC 5227), so that
 * nobody updates its cache with an address we do not hold yet.
 */
static void send_probe(uint32_t addr)
{
	ip4_addr_t target;

	ip4_addr_set_u32(&target, addr);
	etharp_request(&stack.eth, &target);
}

/*
 * probe_address() - true if nobody answered PROBE_COUNT probes for @addr.
 * Runs the event loop meanwhile so the link keeps forwarding.
 */
static bool probe_address(uint32_t addr)
{
	int i;

	stack.probing = true;
	stack.probe_addr = addr;
	stack.probe_conflict = false;
	for (i = 0; i < PROBE_COUNT && !stack.probe_conflict; i++) {
		uint64_t until = nc_now_ms() + PROBE_WAIT_MS;

		send_probe(addr);
		while (!stack.probe_conflict && nc_now_ms() < until)
			nc_loop_run_once((int)(until - nc_now_ms()));
	}
	stack.probing = false;
	return !stack.probe_conflict;
}

/* pick_ip4() - a free address in 198.18.0.0/16, chosen at random and probed. */
static int pick_ip4(struct nc_config *cfg)
{
	struct in_addr net;
	int attempt;

	inet_pton(AF_INET, NC_DEFAULT_NET4, &net);
	for (attempt = 0; attempt < 16; attempt++) {
		uint32_t host = 1 + nc_random_u32() % 0xfffe;	/* not .0.0, not .255.255 */
		uint32_t addr = htonl(ntohl(net.s_addr) | host);

		/* .0.1 and .0.2 are the gateway's (nc_config_gateway()); .0.3 is kept free too. */
		if ((host & 0xff) == 0 || (host & 0xff) == 0xff || host < 4)
			continue;
		if (probe_address(addr)) {
			cfg->ip4.s_addr = addr;
			cfg->prefix4 = NC_DEFAULT_PREFIX4;
			cfg->have_ip4 = true;
			return 0;
		}
		nc_info("address %s is taken; trying another", inet_ntoa(*(struct in_addr *)&addr));
	}
	return -1;
}

static void set_ip6(struct nc_config *cfg)
{
	ip6_addr_t a;
	s8_t idx;

	if (!cfg->have_ip6) {
		/* The default prefix plus an interface identifier from the MAC. */
		inet_pton(AF_INET6, NC_DEFAULT_NET6, &cfg->ip6);
		cfg->ip6.s6_addr[8] = cfg->mac[0] ^ 0x02;
		cfg->ip6.s6_addr[9] = cfg->mac[1];
		cfg->ip6.s6_addr[10] = cfg->mac[2];
		cfg->ip6.s6_addr[11] = 0xff;
		cfg->ip6.s6_addr[12] = 0xfe;
		cfg->ip6.s6_addr[13] = cfg->mac[3];
		cfg->ip6.s6_addr[14] = cfg->mac[4];
		cfg->ip6.s6_addr[15] = cfg->mac[5];
		cfg->prefix6 = NC_DEFAULT_PREFIX6;
		cfg->have_ip6 = true;
	}
	netif_create_ip6_linklocal_address(&stack.eth, 1);
	memcpy(&a.addr, &cfg->ip6, 16);
	ip6_addr_clear_zone(&a);
	if (netif_add_ip6_address(&stack.eth, &a, &idx) == ERR_OK)
		netif_ip6_addr_set_state(&stack.eth, idx, IP6_ADDR_PREFERRED);
	netif_ip6_addr_set_state(&stack.eth, 0, IP6_ADDR_PREFERRED);
}

/*
 * loop_multicast() - lwIP's loopback interface joins no groups by itself:
 * give it IGMP, so that a program may join a group on 127.0.0.1 as on Linux.
 */
static void loop_multicast(void)
{
	struct netif *netif;

	NETIF_FOREACH(netif) {
		if (netif->name[0] == 'l' && netif->name[1] == 'o' &&
		    !(netif->flags & NETIF_FLAG_IGMP)) {
			netif_set_flags(netif, NETIF_FLAG_IGMP);
			igmp_start(netif);
		}
	}
}

/*
 * nc_stack_routes() - what a program needs to know to refuse a datagram to
 * an unreachable destination at once, as the kernel does (ENETUNREACH):
 * the link's addresses, their prefixes, and whether there is a gateway.
 */
void nc_stack_routes(uint32_t *ip4, unsigned *prefix4, bool *gw4, uint8_t ip6[16],
		     unsigned *prefix6, bool *gw6)
{
	*ip4 = stack.cfg->ip4.s_addr;
	*prefix4 = stack.cfg->prefix4;
	*gw4 = stack.cfg->have_gw4;
	memcpy(ip6, &stack.cfg->ip6, 16);
	*prefix6 = stack.cfg->prefix6;
	*gw6 = stack.cfg->have_gw6;
}

/* nc_stack_loop() - the loopback interface. */
struct netif *nc_stack_loop(void)
{
	struct netif *netif;

	NETIF_FOREACH(netif) {
		if (netif->name[0] == 'l' && netif->name[1] == 'o')
			return netif;
	}
	return NULL;
}

/* nc_stack_init() - lwIP, the loopback interface and the link's interface. */
int nc_stack_init(struct nc_config *cfg)
{
	ip4_addr_t ip, mask, gw;
	uint32_t m;

	stack.cfg = cfg;
	if (nc_random_key(stack.isn_key, sizeof(stack.isn_key)) || nc_random_init()) {
		nc_err("getrandom: %m");
		return -1;
	}
	if (!cfg->have_mac) {
		uint32_t r = nc_random_u32(), s = nc_random_u32();

		/* Locally administered, unicast, under netcon's prefix (stack.h). */
		cfg->mac[0] = NC_MAC_PREFIX0;
		cfg->mac[1] = NC_MAC_PREFIX1;
		cfg->mac[2] = NC_MAC_PREFIX2;
		memcpy(&cfg->mac[3], &r, 2);
		memcpy(&cfg->mac[5], &s, 1);
	}
	lwip_init();
	nc_loop_add_hook(NC_PHASE_STACK, nc_stack_poll);
	ip4_addr_set_zero(&ip);
	ip4_addr_set_zero(&mask);
	ip4_addr_set_zero(&gw);
	if (!netif_add(&stack.eth, &ip, &mask, &gw, NULL, eth_init, ethernet_input))
		return -1;
	link_mtu_changed(nc_link_mtu());	/* IPv6's too: netif_add() copied IPv4's rounded one */
	nc_link_on_mtu(link_mtu_changed);
	netif_set_up(&stack.eth);
	netif_set_link_up(&stack.eth);
	set_checksum_policy(cfg);
	loop_multicast();
	set_ip6(cfg);
	if (!cfg->have_ip4 && pick_ip4(cfg)) {
		nc_err("no free IPv4 address found in %s/%d", NC_DEFAULT_NET4, NC_DEFAULT_PREFIX4);
		return -1;
	}
	{
		char why[200];

		if (nc_config_gateway(cfg, why, sizeof(why))) {
			nc_err("%s", why);
			return -1;
		}
	}
	ip4_addr_set_u32(&ip, cfg->ip4.s_addr);
	m = cfg->prefix4 ? htonl(0xffffffffu << (32 - cfg->prefix4)) : 0;
	ip4_addr_set_u32(&mask, m);
	if (cfg->have_gw4)
		ip4_addr_set_u32(&gw, cfg->gw4.s_addr);
	netif_set_addr(&stack.eth, &ip, &mask, &gw);
	/* Beyond the subnet only with a gateway: otherwise ENETUNREACH, as the kernel says. */
	if (cfg->have_gw4 || cfg->have_gw6)
		netif_set_default(&stack.eth);
	/* Announce the address so peers' caches learn it at once. */
	etharp_gratuitous(&stack.eth);
	return 0;
}

int nc_stack_poll(void)
{
	u32_t sleep_ms;

	netif_poll_all();
	sys_check_timeouts();
	netif_poll_all();
	sleep_ms = sys_timeouts_sleeptime();
	return sleep_ms > 1000 ? 1000 : (int)sleep_ms;
}

/*
 * nc_stack_settle() - run what this host sent itself (loopback segments)
 * until nothing more is queued, calling @deliver after each round so the
 * programs' sockets show it: a call's effect on the host's own connections
 * is complete when the call returns, as on the kernel, where loopback is
 * processed within the sender's system call. Bounded: a round trip or two
 * is all a call sets off.
 */
void nc_stack_settle(void (*deliver)(void))
{
	struct netif *n;
	int round;

	for (round = 0; round < 8; round++) {
		bool pending = false;

		NETIF_FOREACH(n)
			pending |= n->loop_first != NULL;
		if (!pending)
			return;
		netif_poll_all();
		deliver();
	}
}

struct netif *nc_stack_netif(void)
{
	return &stack.eth;
}

bool nc_stack_is_local4(uint32_t addr)
{
	return addr == ip4_addr_get_u32(netif_ip4_addr(&stack.eth)) ||
	       (ntohl(addr) >> 24) == 127;
}

/*
 * gateway.c - the virtual network's way out and in (--nat, --publish), on
 * libslirp, the user-mode network stack QEMU and slirp4netns are built on.
 *
 * The gateway is a host on this service's link that no other host sees:
 * lwIP's frames for it (to libslirp's own MACs, 52:55:… for IPv4 and
 * 52:56:… for IPv6, and the ARP and neighbour solicitations that find them)
 * are handed to it in-process, and its frames go to lwIP only, never onto
 * the link. So every service has its own gateway, at the same addresses
 * (the subnet's first two: the gateway and its DNS relay) and with its own
 * policy, as every slirp4netns container has its own; on a shared switch
 * no service's way out runs through another service, and none stops when
 * the switch's host changes.
 *
 * libslirp does the NAT: a guest's TCP connection or UDP flow becomes a
 * kernel socket of this process, DNS to the relay goes to the host's
 * resolvers (/etc/resolv.conf), and a published port is a kernel listening
 * socket whose connections libslirp opens towards the service from the
 * client's own address — from the gateway's when the client is on the
 * host's loopback, so a server never mistakes a remote client for a local
 * one.
 *
 * libslirp's API is poll()-shaped (fill a pollfd list, poll, dispatch) and
 * keeps its own timers, so it runs in a thread of its own with its own
 * poll() loop; frames cross between the threads on a SOCK_SEQPACKET
 * socketpair, one frame per record, in order. Everything that touches the
 * Slirp instance holds gw.lock; the main thread takes it only to add or
 * remove a published port, then wakes the thread to poll the new socket.
 * The main thread never waits for the gateway: a frame for it that does not
 * fit the socketpair is dropped and counted (TCP resends it); the gateway's
 * thread waits for the main thread, which always drains its end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "gateway.h"
#include "link.h"
#include "loop.h"
#include "../common/log.h"
#include "../common/underlay.h"
#include "iobuf.h"

#define GW_FRAME_MAX	(NC_LINK_FRAME_MAX + 64)	/* the largest MTU and its headers */
#define GW_BATCH	64		/* frames taken per wake-up, either side */
#define GW_PAIR_BUF	(4 << 20)	/* socketpair buffering, each way */
#define GW_TIMERS	4		/* libslirp 4.7 has one (IPv6 router adverts) */

struct gw_timer {
	bool used, armed;
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms;
};

static struct {
	bool on;
	const struct nc_config *cfg;
	Slirp *slirp;
	pthread_t thread;
	pthread_mutex_t lock;
	int pair[2];		/* [0] the main thread's end, [1] the gateway's */
	int wake;		/* eventfd: re-poll (a forward changed) or stop */
	volatile bool stop;
	nc_gateway_frame_cb on_frame;
	struct nc_loop_handler h;
	struct gw_timer timers[GW_TIMERS];
	struct pollfd *pfd;
	unsigned npfd, cap_pfd;
	struct nc_gateway_stats stats;
	unsigned n_ports;
	struct nc_publish ports[NC_GATEWAY_PORTS_MAX];
	uint8_t rx[GW_FRAME_MAX] NC_IO_ALIGNED;	/* main thread */
	uint8_t in[GW_FRAME_MAX] NC_IO_ALIGNED;	/* gateway thread */
} gw = { .pair = { -1, -1 }, .wake = -1 };

bool nc_gateway_on(void)
{
	return gw.on;
}

const struct nc_gateway_stats *nc_gateway_stats(void)
{
	return &gw.stats;
}

/* now_ms() - libslirp's clock: monotonic. */
static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- libslirp's callbacks (gateway thread, gw.lock held) --- */

/* cb_send_packet() - a frame from the gateway for lwIP: across to the main thread. */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	(void)opaque;
	/* Blocking: the main thread always drains its end (see the top of the file). */
	while (send(gw.pair[1], buf, len, MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		return gw.stop ? (ssize_t)len : -1;
	}
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	nc_debug("gateway: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return now_ns();
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	unsigned i;

	(void)opaque;
	for (i = 0; i < GW_TIMERS; i++) {
		if (!gw.timers[i].used) {
			gw.timers[i] = (struct gw_timer){ .used = true, .id = id,
							  .cb_opaque = cb_opaque };
			return &gw.timers[i];
		}
	}
	nc_warn("gateway: out of timers");
	return NULL;
}

static void cb_timer_free(void *timer, void *opaque)
{
	(void)opaque;
	if (timer)
		((struct gw_timer *)timer)->used = false;
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct gw_timer *t = timer;

	(void)opaque;
	if (!t)
		return;
	t->expire_ms = expire_ms;
	t->armed = true;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

/* cb_notify() - a socket can take more: poll again at once. */
static void cb_notify(void *opaque)
{
	uint64_t one = 1;

	(void)opaque;
	if (write(gw.wake, &one, sizeof(one)) < 0) {
		/* The counter is non-zero already: the thread wakes anyway. */
	}
}

static const SlirpCb callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

/* add_poll() - libslirp asks for a descriptor to be polled; its index. */
static int add_poll(int fd, int events, void *opaque)
{
	struct pollfd *p;

	(void)opaque;
	if (gw.npfd == gw.cap_pfd) {
		unsigned cap = gw.cap_pfd ? gw.cap_pfd * 2 : 64;
		struct pollfd *n = realloc(gw.pfd, cap * sizeof(*n));

		if (!n)
			return -1;
		gw.pfd = n;
		gw.cap_pfd = cap;
	}
	p = &gw.pfd[gw.npfd];
	p->fd = fd;
	p->events = (short)(((events & SLIRP_POLL_IN) ? POLLIN : 0) |
			    ((events & SLIRP_POLL_OUT) ? POLLOUT : 0) |
			    ((events & SLIRP_POLL_PRI) ? POLLPRI : 0));
	p->revents = 0;
	return (int)gw.npfd++;
}

static int get_revents(int idx, void *opaque)
{
	short r;

	(void)opaque;
	if (idx < 0 || (unsigned)idx >= gw.npfd)
		return 0;
	r = gw.pfd[idx].revents;
	return ((r & POLLIN) ? SLIRP_POLL_IN : 0) | ((r & POLLOUT) ? SLIRP_POLL_OUT : 0) |
	       ((r & POLLPRI) ? SLIRP_POLL_PRI : 0) | ((r & POLLERR) ? SLIRP_POLL_ERR : 0) |
	       ((r & POLLHUP) ? SLIRP_POLL_HUP : 0);
}

/* run_timers() - fire libslirp's due timers; the ms until the next one (or @limit). */
static uint32_t run_timers(uint32_t limit)
{
	int64_t now = now_ns() / 1000000;
	unsigned i;

	for (i = 0; i < GW_TIMERS; i++) {
		struct gw_timer *t = &gw.timers[i];

		if (!t->used || !t->armed)
			continue;
		if (t->expire_ms <= now) {
			t->armed = false;
			slirp_handle_timer(gw.slirp, t->id, t->cb_opaque);
		} else if ((uint64_t)(t->expire_ms - now) < limit) {
			limit = (uint32_t)(t->expire_ms - now);
		}
	}
	return limit;
}

/* sum16() - the ones' complement sum of @len bytes, folded, not inverted. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* udp_port_published() - is @port (guest side) a published UDP port's? gw.lock held. */
static bool udp_port_published(uint16_t port)
{
	unsigned i;

	for (i = 0; i < gw.n_ports; i++)
		if (gw.ports[i].udp && gw.ports[i].port == port)
			return true;
	return false;
}

/*
 * host_policy() - what a program may reach through the gateway: anything
 * with --nat, but the host's loopback (through the gateway's own address)
 * only with --allow-host-loopback; without --nat (published ports only)
 * nothing it starts itself. libslirp's own switches for these
 * (disable_host_loopback, restricted) also block the replies of a published
 * UDP port, so the rules are kept here, before libslirp sees a frame: a SYN
 * that may not pass is answered with a RST, as a host with nothing listening does (connect() fails at once with
 * ECONNREFUSED; libslirp would send an ICMP error, which lwIP does not
 * apply to TCP, and the connection would hang until it timed out), and a
 * UDP datagram is dropped unless it answers from a published port.
 * Connections of published TCP ports are libslirp's own and pass. True if
 * the frame was dealt with here.
 */
static bool host_policy(const uint8_t *f, size_t len)
{
	uint8_t r[14 + 40 + 20];
	size_t ip_len, rlen;
	const uint8_t *tcp;
	uint32_t seq, sum;
	unsigned proto;
	bool v6;

	bool to_host, to_gateway;

	if (len < 14 + 20 + 8)
		return false;
	v6 = f[12] == 0x86 && f[13] == 0xdd;
	if (!v6 && !(f[12] == 0x08 && f[13] == 0x00))
		return false;	/* ARP */
	if (v6) {
		if (len < 14 + 40 + 8)
			return false;
		ip_len = 40;
		proto = f[14 + 6];
		to_host = !memcmp(f + 14 + 24, &gw.cfg->gw_host6, 16);
		to_gateway = to_host || !memcmp(f + 14 + 24, &gw.cfg->gw_dns6, 16);
	} else {
		ip_len = (size_t)(f[14] & 0x0f) * 4;
		if ((f[14] >> 4) != 4 || ip_len < 20 || len < 14 + ip_len + 8)
			return true;
		proto = f[14 + 9];
		to_host = !memcmp(f + 14 + 16, &gw.cfg->gw_host4, 4);
		to_gateway = to_host || !memcmp(f + 14 + 16, &gw.cfg->gw_dns4, 4);
	}
	/* Where may a program go? Anywhere with --nat, but the host's loopback only if allowed. */
	if (gw.cfg->nat && (!to_host || gw.cfg->allow_host_loopback))
		return false;
	if (proto == 1 || proto == 58)	/* ping the gateway; ND */
		return !to_gateway && proto == 1;
	if (!v6 && ((f[14 + 6] & 0x3f) || f[14 + 7]))
		return true;	/* a fragment: dropped */
	tcp = f + 14 + ip_len;
	if (proto == 17)	/* UDP: only a published port's answers */
		return !udp_port_published((uint16_t)(tcp[0] << 8 | tcp[1]));
	if (proto != 6 || len < 14 + ip_len + 20)
		return true;
	if ((tcp[13] & 0x17) != 0x02)	/* not a SYN alone: a published port's, or libslirp drops it */
		return false;
	memset(r, 0, sizeof(r));
	memcpy(r, f + 6, 6);		/* back to the sender */
	memcpy(r + 6, f, 6);
	memcpy(r + 12, f + 12, 2);
	if (v6) {
		r[14] = 0x60;
		r[14 + 5] = 20;			/* payload length */
		r[14 + 6] = 6;
		r[14 + 7] = 64;
		memcpy(r + 14 + 8, f + 14 + 24, 16);
		memcpy(r + 14 + 24, f + 14 + 8, 16);
	} else {
		r[14] = 0x45;
		r[14 + 3] = 40;			/* total length */
		r[14 + 8] = 64;
		r[14 + 9] = 6;
		memcpy(r + 14 + 12, f + 14 + 16, 4);
		memcpy(r + 14 + 16, f + 14 + 12, 4);
		sum = ~sum16(r + 14, 20, 0) & 0xffff;
		r[14 + 10] = (uint8_t)(sum >> 8);
		r[14 + 11] = (uint8_t)sum;
	}
	{
		uint8_t *t = r + 14 + (v6 ? 40 : 20);
		uint8_t pseudo[40];
		size_t plen;

		memcpy(t, tcp + 2, 2);		/* ports swapped */
		memcpy(t + 2, tcp, 2);
		seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
		seq++;
		t[8] = (uint8_t)(seq >> 24);
		t[9] = (uint8_t)(seq >> 16);
		t[10] = (uint8_t)(seq >> 8);
		t[11] = (uint8_t)seq;
		t[12] = 5 << 4;
		t[13] = 0x14;			/* RST, ACK */
		memset(pseudo, 0, sizeof(pseudo));
		if (v6) {
			memcpy(pseudo, r + 14 + 8, 32);
			plen = 32;
		} else {
			memcpy(pseudo, r + 14 + 12, 8);
			plen = 8;
		}
		sum = sum16(pseudo, plen, 6 + 20);
		sum = ~sum16(t, 20, sum) & 0xffff;
		t[16] = (uint8_t)(sum >> 8);
		t[17] = (uint8_t)sum;
		rlen = 14 + (v6 ? 40u : 20u) + 20;
	}
	cb_send_packet(r, rlen, NULL);
	return true;
}

/* take_frames() - frames lwIP sent the gateway, into libslirp. */
static void take_frames(void)
{
	int i;

	for (i = 0; i < GW_BATCH; i++) {
		ssize_t n = recv(gw.pair[1], gw.in, sizeof(gw.in), MSG_DONTWAIT);

		if (n <= 0)
			return;
		if (!host_policy(gw.in, (size_t)n))
			slirp_input(gw.slirp, gw.in, (int)n);
	}
}

/* gateway_thread() - libslirp's poll loop. */
static void *gateway_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gw.lock);
	while (!gw.stop) {
		uint32_t timeout = 1000;
		uint64_t drained;
		int n;

		gw.npfd = 0;
		add_poll(gw.wake, SLIRP_POLL_IN, NULL);
		add_poll(gw.pair[1], SLIRP_POLL_IN, NULL);
		slirp_pollfds_fill(gw.slirp, &timeout, add_poll, NULL);
		timeout = run_timers(timeout);
		pthread_mutex_unlock(&gw.lock);
		n = poll(gw.pfd, gw.npfd, (int)timeout);
		pthread_mutex_lock(&gw.lock);
		if (gw.stop)
			break;
		if (n > 0 && (gw.pfd[0].revents & POLLIN) &&
		    read(gw.wake, &drained, sizeof(drained)) < 0) {
			/* Drained by an earlier read: nothing to do. */
		}
		if (n > 0 && (gw.pfd[1].revents & POLLIN))
			take_frames();
		slirp_pollfds_poll(gw.slirp, n < 0, get_revents, NULL);
		run_timers(0);
	}
	pthread_mutex_unlock(&gw.lock);
	return NULL;
}

/* --- the main thread's side --- */

/* pair_event() - frames from the gateway, to lwIP. */
static void pair_event(struct nc_loop_handler *h, uint32_t events)
{
	int i;

	(void)events;
	for (i = 0; i < GW_BATCH; i++) {
		ssize_t n = recv(h->fd, gw.rx, sizeof(gw.rx), MSG_DONTWAIT);

		if (n <= 0)
			return;
		gw.stats.frames_in++;
		/* libslirp sends short frames unpadded; Ethernet's minimum is 60 bytes. */
		if (n < NC_ETH_MIN_FRAME) {
			memset(gw.rx + n, 0, (size_t)(NC_ETH_MIN_FRAME - n));
			n = NC_ETH_MIN_FRAME;
		}
		gw.on_frame(gw.rx, (size_t)n);
	}
}

/*
 * for_gateway() - is this frame lwIP sends the gateway's? Unicast to one
 * of libslirp's MACs; a broadcast ARP (finding the gateway); an IPv6
 * multicast carrying ICMPv6 (neighbour and router solicitations). Other
 * broadcasts and multicasts (mDNS, a program's group) stay on the link:
 * libslirp would send them out of the host.
 */
static int for_gateway(const uint8_t *f, size_t len)
{
	if (len < 14)
		return NC_GATEWAY_NOT;
	if (f[0] == 0x52 && (f[1] == 0x55 || f[1] == 0x56))
		return NC_GATEWAY_ONLY;
	if (!memcmp(f, "\xff\xff\xff\xff\xff\xff", 6))
		return f[12] == 0x08 && f[13] == 0x06 ? NC_GATEWAY_ALSO : NC_GATEWAY_NOT;
	if (f[0] == 0x33 && f[1] == 0x33 && len >= 14 + 40 && f[12] == 0x86 && f[13] == 0xdd &&
	    f[14 + 6] == 58)
		return NC_GATEWAY_ALSO;
	return NC_GATEWAY_NOT;
}

int nc_gateway_classify(const uint8_t *hdr, size_t len)
{
	return gw.on ? for_gateway(hdr, len) : NC_GATEWAY_NOT;
}

int nc_gateway_frame(const uint8_t *frame, size_t len)
{
	int where;

	if (!gw.on)
		return NC_GATEWAY_NOT;
	where = for_gateway(frame, len);
	if (where == NC_GATEWAY_NOT)
		return where;
	if (send(gw.pair[0], frame, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		gw.stats.dropped_out++;
	else
		gw.stats.frames_out++;
	return where;
}

/* fill_addr() - the host and guest sockaddrs of a published port. */
static void fill_addrs(const struct nc_publish *p, const struct nc_config *cfg,
		       struct sockaddr_storage *host, socklen_t *hlen,
		       struct sockaddr_storage *guest, socklen_t *glen)
{
	memset(host, 0, sizeof(*host));
	memset(guest, 0, sizeof(*guest));
	if (p->family == AF_INET) {
		struct sockaddr_in *h = (struct sockaddr_in *)host, *g = (struct sockaddr_in *)guest;

		h->sin_family = g->sin_family = AF_INET;
		h->sin_port = htons(p->host_port);
		g->sin_port = htons(p->port);
		memcpy(&h->sin_addr, p->host_addr, 4);
		if (p->virt_own)
			g->sin_addr = cfg->ip4;
		else
			memcpy(&g->sin_addr, p->virt_addr, 4);
		*hlen = *glen = sizeof(*h);
	} else {
		struct sockaddr_in6 *h = (struct sockaddr_in6 *)host, *g = (struct sockaddr_in6 *)guest;

		h->sin6_family = g->sin6_family = AF_INET6;
		h->sin6_port = htons(p->host_port);
		g->sin6_port = htons(p->port);
		memcpy(&h->sin6_addr, p->host_addr, 16);
		if (p->virt_own)
			g->sin6_addr = cfg->ip6;
		else
			memcpy(&g->sin6_addr, p->virt_addr, 16);
		*hlen = *glen = sizeof(*h);
	}
}

/* virt_is_own() - a published port must lead to this service's own address. */
static bool virt_is_own(const struct nc_publish *p, const struct nc_config *cfg)
{
	if (p->virt_own)
		return true;
	return p->family == AF_INET ? !memcmp(p->virt_addr, &cfg->ip4, 4) :
				      !memcmp(p->virt_addr, &cfg->ip6, 16);
}

static bool same_port(const struct nc_publish *a, const struct nc_publish *b)
{
	return a->family == b->family && a->udp == b->udp && a->host_port == b->host_port &&
	       !memcmp(a->host_addr, b->host_addr, 16);
}

/* publish_one() - one family's forward, gw.lock held. 0 or -errno. */
static int publish_one(const struct nc_publish *p)
{
	struct sockaddr_storage host, guest;
	socklen_t hlen, glen;
	int flags = p->udp ? SLIRP_HOSTFWD_UDP : 0;
	unsigned i;

	if (!virt_is_own(p, gw.cfg))
		return -EADDRNOTAVAIL;
	for (i = 0; i < gw.n_ports; i++)
		if (same_port(&gw.ports[i], p))
			return -EADDRINUSE;
	if (gw.n_ports == NC_GATEWAY_PORTS_MAX)
		return -ENOSPC;
	fill_addrs(p, gw.cfg, &host, &hlen, &guest, &glen);
	if (p->family == AF_INET6)
		flags |= SLIRP_HOSTFWD_V6ONLY;
	errno = 0;
	if (slirp_add_hostxfwd(gw.slirp, (struct sockaddr *)&host, hlen,
			       (struct sockaddr *)&guest, glen, flags) < 0)
		return errno ? -errno : -EADDRINUSE;
	gw.ports[gw.n_ports++] = *p;
	return 0;
}

/* unpublish_one() - gw.lock held. 0 or -ENOENT. */
static int unpublish_one(const struct nc_publish *p)
{
	struct sockaddr_storage host, guest;
	socklen_t hlen, glen;
	unsigned i;

	for (i = 0; i < gw.n_ports; i++) {
		if (!same_port(&gw.ports[i], p))
			continue;
		fill_addrs(&gw.ports[i], gw.cfg, &host, &hlen, &guest, &glen);
		slirp_remove_hostxfwd(gw.slirp, (struct sockaddr *)&host, hlen,
				      (p->udp ? SLIRP_HOSTFWD_UDP : 0) |
				      (p->family == AF_INET6 ? SLIRP_HOSTFWD_V6ONLY : 0));
		gw.ports[i] = gw.ports[--gw.n_ports];
		return 0;
	}
	return -ENOENT;
}

/*
 * each_family() - run @fn for @p, or for IPv4 and IPv6 when @p names
 * neither (the first failure undoes the other).
 */
static int each_family(const struct nc_publish *p, int (*fn)(const struct nc_publish *),
		       int (*undo)(const struct nc_publish *))
{
	struct nc_publish v4 = *p, v6 = *p;
	int r;

	if (p->family != AF_UNSPEC)
		return fn(p);
	v4.family = AF_INET;
	v6.family = AF_INET6;
	if ((r = fn(&v4)))
		return r;
	if ((r = fn(&v6)) && undo)
		undo(&v4);
	return r;
}

int nc_gateway_publish(const struct nc_publish *p, bool add)
{
	uint64_t one = 1;
	int r;

	if (!gw.on)
		return -ENOTSUP;
	pthread_mutex_lock(&gw.lock);
	r = add ? each_family(p, publish_one, unpublish_one) :
		  each_family(p, unpublish_one, NULL);
	pthread_mutex_unlock(&gw.lock);
	if (write(gw.wake, &one, sizeof(one)) < 0) {
		/* Already woken. */
	}
	return r;
}

unsigned nc_gateway_ports(struct nc_publish *out, unsigned max)
{
	unsigned n;

	if (!gw.on)
		return 0;
	pthread_mutex_lock(&gw.lock);
	n = gw.n_ports < max ? gw.n_ports : max;
	if (out)
		memcpy(out, gw.ports, n * sizeof(*out));
	else
		n = gw.n_ports;
	pthread_mutex_unlock(&gw.lock);
	return n;
}

void nc_gateway_host_addrs(uint8_t ip4[4], bool *has4, uint8_t ip6[16], bool *has6)
{
	struct ifaddrs *ifa, *i;

	*has4 = *has6 = false;
	if (!gw.on)
		return;
	if (gw.cfg->allow_host_loopback) {
		memcpy(ip4, &gw.cfg->gw_host4, 4);
		memcpy(ip6, &gw.cfg->gw_host6, 16);
		*has4 = *has6 = true;
		return;
	}
	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET && !*has4) {
			memcpy(ip4, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
			*has4 = (ip4[0] != 127);
		} else if (i->ifa_addr->sa_family == AF_INET6 && !*has6) {
			const struct in6_addr *a = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_LOOPBACK(a))
				continue;
			memcpy(ip6, a, 16);
			*has6 = true;
		}
	}
	freeifaddrs(ifa);
}

int nc_gateway_open(const struct nc_config *cfg, nc_gateway_frame_cb on_frame)
{
	SlirpConfig sc = { 0 };
	int size = GW_PAIR_BUF;
	unsigned i;
	char name[160];

	if (!nc_config_gateway_on(cfg))
		return 0;
	gw.cfg = cfg;
	gw.on_frame = on_frame;
	sc.version = 4;
	sc.restricted = 0;	/* without --nat nothing goes out: host_policy() */
	sc.in_enabled = true;
	sc.vnetwork = cfg->net4;	/* all from nc_config_gateway() */
	sc.vnetmask = cfg->mask4;
	sc.vhost = cfg->gw_host4;
	sc.vnameserver = cfg->gw_dns4;
	sc.vdhcp_start = cfg->gw_dns4;	/* unused: DHCP is off */
	sc.in6_enabled = true;
	sc.vprefix_addr6 = cfg->net6;
	sc.vprefix_len = (uint8_t)cfg->prefix6;
	sc.vhost6 = cfg->gw_host6;
	sc.vnameserver6 = cfg->gw_dns6;
	/*
	 * libslirp 4.7 sending segments of the local switch's 65000 corrupted
	 * a 64 MiB download (tests/suites/gateway.sh, egress-64MiB-down; not
	 * diagnosed further): it sends at most vdeplug's 9000 and takes all.
	 */
	sc.if_mtu = cfg->mtu < NC_FRAME_MTU_MAX ? cfg->mtu : NC_FRAME_MTU_MAX;
	sc.if_mru = cfg->mtu;
	sc.disable_host_loopback = false;	/* kept by host_policy() instead */
	sc.disable_dhcp = true;
	if (pthread_mutex_init(&gw.lock, NULL))
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, gw.pair) ||
	    (gw.wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		nc_err("gateway: %m");
		return -1;
	}
	for (i = 0; i < 2; i++) {
		setsockopt(gw.pair[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		setsockopt(gw.pair[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	gw.slirp = slirp_new(&sc, &callbacks, NULL);
	if (!gw.slirp) {
		nc_err("gateway: libslirp refused its configuration");
		return -1;
	}
	gw.on = true;
	for (i = 0; i < cfg->n_publish; i++) {
		int r = nc_gateway_publish(&cfg->publish[i], true);

		nc_format_publish(&cfg->publish[i], name, sizeof(name));
		if (r) {
			nc_err("cannot publish %s: %s", name, strerror(-r));
			return -1;
		}
		nc_info("published %s", name);
	}
	if (nc_loop_add(&gw.h, gw.pair[0], EPOLLIN, pair_event))
		return -1;
	if (pthread_create(&gw.thread, NULL, gateway_thread, NULL)) {
		nc_err("gateway: cannot start its thread");
		return -1;
	}
	inet_ntop(AF_INET, &cfg->gw_dns4, name, sizeof(name));
	nc_info("gateway %s (%s), DNS relay %s", inet_ntoa(cfg->gw_host4),
		cfg->nat ? cfg->allow_host_loopback ? "NAT, host loopback allowed" : "NAT" :
			   "published ports only", name);
	return 0;
}

void nc_gateway_close(void)
{
	uint64_t one = 1;

	if (!gw.on)
		return;
	gw.stop = true;
	if (write(gw.wake, &one, sizeof(one)) < 0) {
		/* Already woken. */
	}
	/* A gateway blocked sending to us gets EPIPE and sees gw.stop. */
	shutdown(gw.pair[0], SHUT_RDWR);
	pthread_join(gw.thread, NULL);
	nc_loop_del(&gw.h);
	slirp_cleanup(gw.slirp);
	close(gw.pair[0]);
	close(gw.pair[1]);
	close(gw.wake);
	free(gw.pfd);
	gw.on = false;
}

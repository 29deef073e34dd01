/*
 * vswitch.c - the local switch, hosted in the service that won the election.
 *
 * It speaks VDE's switch protocol (version 3, the one vdeplug's vde:// and
 * vde_plug speak) so that joined services, vde_plug and netcon-uplink
 * attach to it unchanged: a client connects to DIR/ctl (a stream socket),
 * sends a request naming the datagram socket it bound, and gets back the
 * address of a datagram socket of ours, connected to it, bound in DIR. The
 * port lives as long as that control connection. Frames are datagrams on
 * the port's socket; the hosting service's stack is one more port, reached
 * by function call.
 *
 * It replaces vdeplug's embedded switch (switch://) so that every port's
 * descriptor sits in the service's own epoll set: vdeplug's hides them
 * behind an epoll descriptor of its own, whose vde_recv() blocks, so each
 * frame cost a nested epoll_wait() and a poll() probe besides its read.
 *
 * The switch learns which port each source MAC (and VLAN) is behind, as a
 * learning bridge does, and floods broadcast, multicast and unknown
 * destinations to every port but the one a frame came from. A port whose
 * queue is full loses the frame, as a wire would; the stack's TCP resends.
 * Everything a client sends is checked before it is used: a request must be
 * a whole version-3 request for a new port naming a Unix socket, from our
 * own user (or root), and frames must hold an Ethernet header.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "link.h"
#include "loop.h"
#include "vswitch.h"
#include "../common/log.h"
#include "../common/proc.h"
#include "../common/underlay.h"
#include "iobuf.h"

#define VDE_MAGIC	0xfeedfaceu
#define VDE_VERSION	3
#define VDE_REQ_NEW_CONTROL 0
#define MAX_PORTS	256
#define PORT_BATCH	64		/* frames taken from one port per wake-up */
#define PORT_SOCKBUF	(8 * 1024 * 1024)	/* room for a TCP window's burst */
#define MAC_SLOTS	1024		/* a power of two */
#define MAC_PROBE	8
#define MAC_EXPIRE_MS	120000u		/* as vdeplug's and vde_switch's */
#define PORT_HOST	(-1)
#define PORT_NONE	(-2)

/* What a client sends on DIR/ctl (vde_switch's struct request_v3), then a description. */
struct vde_request {
	uint32_t magic;
	uint32_t version;
	uint32_t type;
	struct sockaddr_un sock;
} __attribute__((packed));

struct vsw_port {
	struct nc_loop_handler ctl_h;	/* the client's control connection */
	struct nc_loop_handler data_h;	/* our datagram socket, connected to the client's */
	int id;
	bool active;			/* the request was answered: frames flow */
	struct vsw_port *next_dead;	/* closed, freed after the loop's batch */
	size_t reqlen;
	uint8_t req[sizeof(struct vde_request)];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct mac_entry {
	uint8_t mac[6];
	uint16_t vlan;
	int16_t port;			/* PORT_HOST, a port's id, or PORT_NONE */
	uint64_t seen;			/* ms */
};

static struct {
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct nc_loop_handler ctl_h;	/* DIR/ctl, listening */
	struct vsw_port *port[MAX_PORTS];
	unsigned nports;
	unsigned next_name;		/* DIR/portN: never reused while we host */
	struct vsw_port *dead;		/* closed in this batch: its events may still be pending */
	bool hooked;
	nc_vswitch_frame_cb on_frame;
	nc_vswitch_buffer_cb rx_buffer;
	struct mac_entry mac[MAC_SLOTS];
	struct {
		uint64_t ports_opened, ports_refused;
		uint64_t forwarded;	/* frames from a port to another port */
		uint64_t dropped;	/* a port's queue was full, or a runt or oversize frame */
	} stats;
	uint8_t frame[NC_LINK_FRAME_MAX] NC_IO_ALIGNED;	/* when the stack lends no buffer */
} vsw = { .ctl_h.fd = -1 };

/* eth_vlan() - the 802.1Q VLAN a frame is on (0: untagged), part of what the switch learns. */
static uint16_t eth_vlan(const uint8_t *f, size_t len)
{
	if (len >= 18 && f[12] == 0x81 && f[13] == 0x00)
		return (uint16_t)(((f[14] << 8) | f[15]) & 0xfff);
	return 0;
}

static unsigned mac_hash(const uint8_t *mac, uint16_t vlan)
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	h = (h ^ vlan) * 16777619u;
	return h & (MAC_SLOTS - 1);
}

static bool mac_live(const struct mac_entry *e, uint64_t now)
{
	return e->port != PORT_NONE && now - e->seen < MAC_EXPIRE_MS;
}

/* mac_learn() - @mac on @vlan was seen behind @port. Group addresses are never sources. */
static void mac_learn(const uint8_t *mac, uint16_t vlan, int port, uint64_t now)
{
	struct mac_entry *victim = NULL;
	unsigned h = mac_hash(mac, vlan), i;

	if (mac[0] & 1)
		return;
	for (i = 0; i < MAC_PROBE; i++) {
		struct mac_entry *e = &vsw.mac[(h + i) & (MAC_SLOTS - 1)];

		if (e->port != PORT_NONE && e->vlan == vlan && !memcmp(e->mac, mac, 6)) {
			victim = e;
			break;
		}
		if (!victim || (mac_live(victim, now) && (!mac_live(e, now) || e->seen < victim->seen)))
			victim = e;
	}
	memcpy(victim->mac, mac, 6);
	victim->vlan = vlan;
	victim->port = (int16_t)port;
	victim->seen = now;
}

/* mac_lookup() - the port @mac on @vlan is behind, or PORT_NONE (flood). */
static int mac_lookup(const uint8_t *mac, uint16_t vlan, uint64_t now)
{
	unsigned h = mac_hash(mac, vlan), i;

	if (mac[0] & 1)
		return PORT_NONE;
	for (i = 0; i < MAC_PROBE; i++) {
		const struct mac_entry *e = &vsw.mac[(h + i) & (MAC_SLOTS - 1)];

		if (mac_live(e, now) && e->vlan == vlan && !memcmp(e->mac, mac, 6))
			return e->port;
	}
	return PORT_NONE;
}

/* mac_forget_port() - a port went away: nothing is behind it any more. */
static void mac_forget_port(int port)
{
	unsigned i;

	for (i = 0; i < MAC_SLOTS; i++)
		if (vsw.mac[i].port == port)
			vsw.mac[i].port = PORT_NONE;
}

/* port_sendv() - one frame in @n pieces to a port's client; a full queue drops it. */
static void port_sendv(struct vsw_port *p, const struct iovec *iov, int n)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };

	if (sendmsg(p->data_h.fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		vsw.stats.dropped++;
}

/* flood() - a frame in @n pieces for everyone: every active port but @from (PORT_HOST: none left out). */
static void flood(int from, const struct iovec *iov, int n)
{
	unsigned i;

	for (i = 0; i < MAX_PORTS; i++)
		if (vsw.port[i] && vsw.port[i]->active && (int)i != from)
			port_sendv(vsw.port[i], iov, n);
}

/* port_frame() - a frame from port @p: learn its source, pass it on. */
static void port_frame(struct vsw_port *p, uint8_t *buf, size_t len, size_t size)
{
	uint64_t now = nc_now_ms();
	uint16_t vlan = eth_vlan(buf, len);
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	int to;

	mac_learn(buf + 6, vlan, p->id, now);
	to = mac_lookup(buf, vlan, now);
	if (to == PORT_HOST) {
		vsw.on_frame(buf, len, size);
	} else if (to >= 0) {
		if (to != p->id) {
			port_sendv(vsw.port[to], &iov, 1);
			vsw.stats.forwarded++;
		}
	} else {
		flood(p->id, &iov, 1);
		vsw.on_frame(buf, len, size);	/* last: the stack may keep the buffer */
	}
}

static void port_close(struct vsw_port *p);

/* port_data() - frames waiting on a port's socket. */
static void port_data(struct nc_loop_handler *h, uint32_t events)
{
	struct vsw_port *p = (struct vsw_port *)((char *)h - offsetof(struct vsw_port, data_h));
	int i;

	(void)events;
	for (i = 0; i < PORT_BATCH; i++) {
		uint8_t *buf = vsw.rx_buffer ? vsw.rx_buffer(sizeof(vsw.frame)) : NULL;
		size_t size = sizeof(vsw.frame);
		ssize_t n;

		if (!buf)
			buf = vsw.frame;
		n = recv(h->fd, buf, size, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			break;
		if (n < NC_ETH_HDR_LEN || (size_t)n > size) {
			vsw.stats.dropped++;	/* a runt, or cut short by our buffer */
			continue;
		}
		port_frame(p, buf, (size_t)n, size);
	}
}

/*
 * port_answer() - a whole request has arrived on @p's control connection:
 * check it, make the port's socket, connect it to the client's, bind it in
 * DIR and tell the client where it is. false: refuse (the port is closed).
 */
static bool port_answer(struct vsw_port *p)
{
	struct vde_request req;
	struct sockaddr_un ours = { .sun_family = AF_UNIX }, peer;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd;

	memcpy(&req, p->req, sizeof(req));
	memcpy(&peer, p->req + offsetof(struct vde_request, sock), sizeof(peer));
	if (req.magic != VDE_MAGIC || req.version != VDE_VERSION ||
	    (req.type & 0xff) != VDE_REQ_NEW_CONTROL || peer.sun_family != AF_UNIX ||
	    !memchr(peer.sun_path, '\0', sizeof(peer.sun_path)) || !peer.sun_path[0]) {
		nc_warn("local switch: refused a port: not a VDE version-3 request for a new port");
		return false;
	}
	if (getsockopt(p->ctl_h.fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
	    (cred.uid != geteuid() && cred.uid != 0)) {
		nc_warn("local switch: refused a port for uid %u", (unsigned)cred.uid);
		return false;
	}
	if ((size_t)snprintf(ours.sun_path, sizeof(ours.sun_path), "%s/port%u", vsw.dir,
			     vsw.next_name++) >= sizeof(ours.sun_path))
		return false;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	unlink(ours.sun_path);
	if (connect(fd, (struct sockaddr *)&peer, sizeof(peer)) ||
	    bind(fd, (struct sockaddr *)&ours, sizeof(ours))) {
		nc_warn("local switch: cannot make a port for %s: %m", peer.sun_path);
		close(fd);
		return false;
	}
	chmod(ours.sun_path, 0600);
	snprintf(p->path, sizeof(p->path), "%s", ours.sun_path);
	nc_widen_socket(fd, PORT_SOCKBUF);
	if (nc_loop_add(&p->data_h, fd, EPOLLIN, port_data)) {
		close(fd);
		return false;
	}
	if (write(p->ctl_h.fd, &ours, sizeof(ours)) != (ssize_t)sizeof(ours))
		return false;	/* port_close() takes the socket down */
	p->active = true;
	vsw.stats.ports_opened++;
	nc_debug("local switch: port %d for %s", p->id, peer.sun_path);
	return true;
}

/*
 * port_ctl() - the control connection: first the request (it may come in
 * pieces), then nothing but its end, which ends the port.
 */
static void port_ctl(struct nc_loop_handler *h, uint32_t events)
{
	struct vsw_port *p = (struct vsw_port *)((char *)h - offsetof(struct vsw_port, ctl_h));
	uint8_t junk[256];
	ssize_t n;

	(void)events;
	if (p->active) {
		n = read(h->fd, junk, sizeof(junk));	/* a client says nothing after its request */
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			port_close(p);
		return;
	}
	n = read(h->fd, p->req + p->reqlen, sizeof(p->req) - p->reqlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		port_close(p);
		return;
	}
	p->reqlen += (size_t)n;
	if (p->reqlen < sizeof(p->req))
		return;
	if (!port_answer(p)) {
		vsw.stats.ports_refused++;
		port_close(p);
	}
	/* What follows the request (its description) is read and dropped above. */
}

/*
 * port_close() - the port's client left (or was refused): its socket goes,
 * so does what was learnt. The loop may still hold events for it in this
 * batch, so it is freed by reap() afterwards and answers nothing till then.
 */
static void port_close(struct vsw_port *p)
{
	nc_loop_del(&p->ctl_h);
	close(p->ctl_h.fd);
	p->ctl_h.cb = NULL;
	if (p->data_h.fd >= 0) {
		nc_loop_del(&p->data_h);
		close(p->data_h.fd);
		p->data_h.cb = NULL;
	}
	if (p->path[0])
		unlink(p->path);
	if (p->active)
		nc_debug("local switch: port %d closed", p->id);
	mac_forget_port(p->id);
	vsw.port[p->id] = NULL;
	vsw.nports--;
	p->next_dead = vsw.dead;
	vsw.dead = p;
}

/* reap() - after each batch of events: free the ports closed during it. */
static int reap(void)
{
	while (vsw.dead) {
		struct vsw_port *p = vsw.dead;

		vsw.dead = p->next_dead;
		free(p);
	}
	return -1;
}

/* ctl_accept() - clients connecting to DIR/ctl: each becomes a port waiting for its request. */
static void ctl_accept(struct nc_loop_handler *h, uint32_t events)
{
	int i;

	(void)events;
	for (i = 0; i < 16; i++) {
		struct vsw_port *p;
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), id;

		if (fd < 0)
			return;
		for (id = 0; id < MAX_PORTS && vsw.port[id]; id++)
			;
		if (id == MAX_PORTS || !(p = calloc(1, sizeof(*p)))) {
			nc_warn("local switch: refused a port: %u ports already", vsw.nports);
			vsw.stats.ports_refused++;
			close(fd);
			continue;
		}
		p->id = id;
		p->data_h.fd = -1;
		if (nc_loop_add(&p->ctl_h, fd, EPOLLIN, port_ctl)) {
			close(fd);
			free(p);
			continue;
		}
		vsw.port[id] = p;
		vsw.nports++;
	}
}

int nc_vswitch_open(const char *dir, nc_vswitch_frame_cb on_frame, nc_vswitch_buffer_cb rx_buffer)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/ctl", dir) >= sizeof(sun.sun_path) ||
	    strlen(dir) + sizeof("/port4294967295") > sizeof(vsw.dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(dir, 0700))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(sun.sun_path, 0600) ||
	    listen(fd, 64) || nc_loop_add(&vsw.ctl_h, fd, EPOLLIN, ctl_accept)) {
		err = errno;
		if (fd >= 0)
			close(fd);
		unlink(sun.sun_path);
		rmdir(dir);
		errno = err;
		return -1;
	}
	if (!vsw.hooked)
		vsw.hooked = nc_loop_add_hook(NC_PHASE_LINK, reap) == 0;
	snprintf(vsw.dir, sizeof(vsw.dir), "%s", dir);
	vsw.on_frame = on_frame;
	vsw.rx_buffer = rx_buffer;
	vsw.next_name = 0;
	memset(vsw.mac, 0, sizeof(vsw.mac));
	for (unsigned i = 0; i < MAC_SLOTS; i++)
		vsw.mac[i].port = PORT_NONE;
	return 0;
}

/*
 * nc_vswitch_sendv() - a frame of the host's own, in @n pieces of @len
 * bytes in all (the Ethernet header in the first), to the port its
 * destination is behind, or to every port.
 */
void nc_vswitch_sendv(const struct iovec *iov, int n, size_t len)
{
	const uint8_t *f = iov[0].iov_base;
	uint64_t now;
	uint16_t vlan;
	int to;

	if (vsw.ctl_h.fd < 0 || len < NC_ETH_HDR_LEN || iov[0].iov_len < NC_ETH_HDR_LEN)
		return;
	now = nc_now_ms();
	vlan = eth_vlan(f, iov[0].iov_len);
	mac_learn(f + 6, vlan, PORT_HOST, now);
	to = mac_lookup(f, vlan, now);
	if (to >= 0) {
		port_sendv(vsw.port[to], iov, n);
	} else if (to == PORT_NONE) {
		flood(PORT_HOST, iov, n);
	}
}

void nc_vswitch_close(void)
{
	char path[sizeof(vsw.dir) + 8];
	unsigned i;

	if (vsw.ctl_h.fd < 0)
		return;
	for (i = 0; i < MAX_PORTS; i++)
		if (vsw.port[i])
			port_close(vsw.port[i]);
	nc_loop_del(&vsw.ctl_h);
	close(vsw.ctl_h.fd);
	vsw.ctl_h.fd = -1;
	snprintf(path, sizeof(path), "%s/ctl", vsw.dir);
	unlink(path);
	nc_info("local switch closed: %llu ports served (%llu refused), %llu frames between ports, "
		"%llu dropped", (unsigned long long)vsw.stats.ports_opened,
		(unsigned long long)vsw.stats.ports_refused, (unsigned long long)vsw.stats.forwarded,
		(unsigned long long)vsw.stats.dropped);
	memset(&vsw.stats, 0, sizeof(vsw.stats));
}

/*
 * link.c - frames in and out: through vdeplug4, a tap of our own (tap.c),
 * or the local switch this service hosts (vswitch.c).
 *
 * On the local switch (switch.c holds the election), a joined service
 * watches its control connection; when the host exits, the control
 * connection ends and the service runs the election again. While no switch
 * can be had (one at DIR that is not netcon's does not answer), the link is
 * down and the election is tried again every second.
 */
#include <errno.h>
#include <fcntl.h>
#include <libvdeplug.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "link.h"
#include "loop.h"
#include "stack.h"
#include "switch.h"
#include "tap.h"
#include "vswitch.h"
#include "../common/log.h"
#include "../common/proc.h"
#include "../common/underlay.h"
#include "iobuf.h"

#define LINK_BATCH 64	/* frames taken per wake-up before yielding */
#define TXQ_FRAMES 2048	/* frames held while the link pushes back */
#define TXQ_BYTES (8u << 20)	/* and bytes: 2048 jumbo frames would be 128 MiB */

static struct {
	const struct nc_config *cfg;
	VDECONN *conn;
	int tap_fd;		/* tap://NAME, opened by tap.c instead of vdeplug: -1 if not */
	bool frame_checked;	/* the frame being delivered: the kernel vouched for its checksums */
	bool switch_host;	/* frames go to and come from vswitch.c */
	bool recv_blocks;	/* the data fd is an epoll fd: vde_recv() may block */
	bool fresh;		/* connected in this batch: its events may be stale */
	uint64_t next_rejoin;	/* link down on a switch: when to elect again */
	bool said_down;		/* the link's failure to open is in the log already */
	char url[300];
	nc_link_frame_cb on_frame;
	nc_link_buffer_cb rx_buffer;
	nc_link_mtu_cb on_mtu;
	struct nc_loop_handler data_h, ctl_h;
	struct nc_link_stats stats;
	uint8_t frame[NC_LINK_FRAME_MAX] NC_IO_ALIGNED;
	/*
	 * Frames the link refused for now (a full datagram queue at the other
	 * end): kept in order and sent when the descriptor is writable again,
	 * so that back-pressure slows TCP down instead of losing frames.
	 */
	struct {
		uint8_t *buf[TXQ_FRAMES];
		uint16_t len[TXQ_FRAMES];
		unsigned head, count;
		size_t bytes;
	} txq;
} lnk;

static int link_connect(void);
static bool on_switch(void);
static void txq_flush(void);
static bool lossy(void);

/* link_up() - a link is open (vdeplug's connection, our own tap, or the switch we host). */
static bool link_up(void)
{
	return lnk.conn || lnk.tap_fd >= 0 || lnk.switch_host;
}

/* link_recv() - one frame from whichever link is open. */
static ssize_t link_recv(void *buf, size_t len)
{
	lnk.frame_checked = false;
	if (lnk.tap_fd >= 0)
		return nc_tap_recv(lnk.tap_fd, buf, len, &lnk.frame_checked);
	return vde_recv(lnk.conn, buf, len, lnk.recv_blocks ? 0 : MSG_DONTWAIT);
}

/*
 * link_sendv() - one frame in @n pieces to whichever link is open (never
 * blocks). Only links that nc_link_takes_pieces() names get more than one.
 */
static ssize_t link_sendv(const struct iovec *iov, int n, size_t len)
{
	if (lnk.tap_fd >= 0)
		return nc_tap_sendv(lnk.tap_fd, iov, n, len, lnk.cfg->mtu);
	if (lnk.switch_host) {
		nc_vswitch_sendv(iov, n, len);
		return (ssize_t)len;
	}
	if (n > 1) {
		/* vdeplug's vde:// plugin sends each frame with send() on its data socket. */
		struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };

		return sendmsg(vde_datafd(lnk.conn), &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	return vde_send(lnk.conn, iov[0].iov_base, len, MSG_DONTWAIT);
}

/*
 * nc_link_takes_pieces() - whether a frame may go out in pieces (see
 * nc_link_sendv()): a tap, the switch we host, or the vde:// connection
 * to the local switch (vdeplug's plugin for it is a datagram socket). Other
 * vdeplug plugins take one buffer.
 */
bool nc_link_takes_pieces(void)
{
	return lnk.tap_fd >= 0 || lnk.switch_host || (lnk.conn && on_switch());
}

/* nc_link_segments() - the link takes TCP segments larger than its MTU whole (tap with TSO). */
bool nc_link_segments(void)
{
	return lnk.tap_fd >= 0;
}

/*
 * nc_link_frame_checked() - whether the frame now being delivered comes
 * with checksums the kernel checked or left for the device to fill (tap
 * offloads): the stack must not verify those.
 */
bool nc_link_frame_checked(void)
{
	return lnk.frame_checked;
}

bool nc_link_is_switch_host(void)
{
	return lnk.switch_host;
}

const char *nc_link_url(void)
{
	return lnk.url;
}

const struct nc_link_stats *nc_link_stats(void)
{
	return &lnk.stats;
}

/*
 * widen_link_sockets() - a local switch drops a frame when a port's queue
 * is full (about 23 jumbo frames by default), so a vdeplug link's datagram
 * sockets get room for a TCP window's burst. (The switch we host widens its
 * own ports' sockets.)
 */
static void widen_link_sockets(void)
{
	nc_widen_dgram_sockets(8 * 1024 * 1024);
}

/* switch_frame() - a frame for us from the switch we host. */
static void switch_frame(uint8_t *buf, size_t len, size_t size)
{
	lnk.frame_checked = false;
	nc_link_input_frame(buf, len, size);
}

/* switch_buffer() - where the switch we host receives a frame: the stack's lent buffer. */
static uint8_t *switch_buffer(size_t size)
{
	return lnk.rx_buffer ? lnk.rx_buffer(size) : NULL;
}

/* link_read() - take the frames that are waiting and hand them to the stack. */
static void link_read(struct nc_loop_handler *h, uint32_t events)
{
	int i;

	(void)h;
	if (!link_up())
		return;
	if (events & EPOLLOUT)
		txq_flush();
	if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	for (i = 0; i < LINK_BATCH; i++) {
		uint8_t *buf;
		ssize_t n;

		if (lnk.recv_blocks && (i > 0 || !(events & EPOLLIN) || lnk.fresh)) {
			/*
			 * Such a plugin's vde_recv() blocks: only call it when
			 * readable. The first time, the loop has just said so,
			 * unless the event came from a link replaced since.
			 */
			struct pollfd pfd = { .fd = vde_datafd(lnk.conn), .events = POLLIN };

			if (poll(&pfd, 1, 0) <= 0)
				break;
		}
		buf = lnk.rx_buffer ? lnk.rx_buffer(sizeof(lnk.frame)) : NULL;
		if (!buf)
			buf = lnk.frame;
		n = link_recv(buf, sizeof(lnk.frame));
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				nc_debug("link receive: %m");
			break;
		}
		nc_link_input_frame(buf, (size_t)n, sizeof(lnk.frame));
	}
}

/*
 * nc_link_input_frame() - the one door from the virtual network into the
 * stack: every received frame passes here, and a harness that feeds frames
 * itself (tests/fuzz/fuzz_frame.c) uses it too. lwIP reads the Ethernet
 * header and then the IP header before it checks any length, so what it is
 * given must hold both: a frame shorter than an Ethernet header is dropped
 * (a runt), and one shorter than Ethernet's 60-byte minimum is padded with
 * zeros to 60, as a real wire pads it; IP trims padding by its own length.
 * @buf holds @size bytes (the frame's @len, then room to pad into).
 */
void nc_link_input_frame(uint8_t *buf, size_t len, size_t size)
{
	uint8_t small[NC_ETH_MIN_FRAME];

	if (len < NC_ETH_HDR_LEN) {
		lnk.stats.runts++;
		return;
	}
	if (len > size || len > NC_LINK_FRAME_MAX) {
		lnk.stats.oversize++;
		return;
	}
	if (len < NC_ETH_MIN_FRAME) {
		if (size < NC_ETH_MIN_FRAME) {
			memcpy(small, buf, len);
			buf = small;
		}
		memset(buf + len, 0, NC_ETH_MIN_FRAME - len);
		len = NC_ETH_MIN_FRAME;
		lnk.stats.padded++;
	}
	lnk.stats.frames_in++;
	lnk.stats.bytes_in += len;
	if (lnk.on_frame && !lossy())
		lnk.on_frame(buf, len);
}

/* on_switch() - the link is the local switch (elected), not a URL used as given. */
static bool on_switch(void)
{
	return lnk.cfg && (lnk.cfg->link_kind == NC_LINK_DEFAULT_SWITCH ||
			   lnk.cfg->link_kind == NC_LINK_SWITCH);
}

/*
 * nc_link_tick() - after each batch of events: on a local switch, rejoin
 * one that went away, and the election's own upkeep. Returns ms until it
 * wants to run again, or -1.
 */
int nc_link_tick(void)
{
	uint64_t now;
	int wait = -1;

	lnk.fresh = false;	/* a new batch: events now come from the link in use */
	if (on_switch()) {
		if (!link_up()) {
			now = nc_now_ms();
			if (now >= lnk.next_rejoin) {
				lnk.next_rejoin = now + 1000;
				if (link_connect() == 0)
					nc_info("rejoined the local switch");
			}
			return 1000;
		}
		wait = nc_switch_tick(lnk.switch_host);
	}
	return wait;
}

/* link_ctl_event() - the switch we joined went away: elect again. */
static void link_ctl_event(struct nc_loop_handler *h, uint32_t events)
{
	char buf[256];

	(void)events;
	if (read(h->fd, buf, sizeof(buf)) > 0)
		return;
	nc_warn("lost the switch at %s; electing a new host", lnk.cfg->switch_dir);
	nc_link_close();
	if (link_connect()) {
		nc_err("could not rejoin the local switch; the link is down, retrying every second");
		lnk.next_rejoin = nc_now_ms() + 1000;
	}
}

static void set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/*
 * raise_dgram_queue() - vdeplug links are Unix datagram sockets, and Linux
 * lets only net.unix.max_dgram_qlen (10 by default) frames wait at a
 * receiver: a burst of TCP segments past that is lost in the switch. In a
 * network namespace of our own, raise it; in the host's, only say so.
 */
static void raise_dgram_queue(void)
{
	static const char path[] = "/proc/sys/net/unix/max_dgram_qlen";
	char self[64] = "", init[64] = "";
	ssize_t a, b;
	FILE *f;
	int qlen = 0;

	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%d", &qlen) != 1)
			qlen = 0;
		fclose(f);
	}
	if (qlen >= 512)
		return;
	a = readlink("/proc/self/ns/net", self, sizeof(self) - 1);
	b = readlink("/proc/1/ns/net", init, sizeof(init) - 1);
	if (a > 0 && b > 0 && a == b && !memcmp(self, init, (size_t)a)) {
		nc_warn("%s is %d: a busy local switch will drop frames; run netcon-service in "
			"its own network namespace (unshare -n, or unshare -rn) or raise it",
			path, qlen);
		return;
	}
	f = fopen(path, "we");
	if (!f || fprintf(f, "1024\n") < 0 || fclose(f) != 0)
		nc_warn("%s is %d and cannot be raised: a busy local switch will drop frames",
			path, qlen);
	else
		nc_debug("raised %s to 1024 in our network namespace", path);
}

/*
 * link_opened() - log a failure to open @what once (the loop retries every
 * second), and that it is up again. Returns @ok.
 */
static bool link_opened(bool ok, const char *what)
{
	if (!ok && !lnk.said_down)
		nc_err("cannot open the link %s: %m", what);
	lnk.said_down = !ok;
	return ok;
}

/* link_connect() - open the configured link and register it in the loop. */
static int link_connect(void)
{
	const struct nc_config *cfg = lnk.cfg;
	int ctl;

	lnk.fresh = true;
	lnk.switch_host = false;
	lnk.tap_fd = -1;
	if (on_switch()) {
		if (nc_switch_elect(&lnk.conn, &lnk.switch_host, lnk.url, sizeof(lnk.url)))
			lnk.conn = NULL;
		if (lnk.switch_host) {
			lnk.recv_blocks = false;
			lnk.said_down = false;
			nc_info("link %s (hosting the switch)", lnk.url);
			return 0;
		}
	} else if (cfg->link_kind == NC_LINK_TAP) {
		snprintf(lnk.url, sizeof(lnk.url), "%s", cfg->net);
		lnk.tap_fd = nc_tap_open(lnk.url + strlen("tap://"));
		if (!link_opened(lnk.tap_fd >= 0, cfg->net))
			return -1;
		lnk.recv_blocks = false;
		lnk.ctl_h.fd = -1;
		if (nc_loop_add(&lnk.data_h, lnk.tap_fd, EPOLLIN, link_read))
			return -1;
		nc_info("link %s (offloads: checksums, TSO)", lnk.url);
		return 0;
	} else {
		snprintf(lnk.url, sizeof(lnk.url), "%s", cfg->net);
		lnk.conn = vde_open(lnk.url, "netcon", NULL);
	}
	if (!link_opened(lnk.conn != NULL, *cfg->net ? cfg->net : cfg->switch_dir))
		return -1;
	lnk.recv_blocks = nc_fd_is_epoll(vde_datafd(lnk.conn));
	if (!lnk.recv_blocks)
		set_nonblocking(vde_datafd(lnk.conn));
	widen_link_sockets();
	if (nc_loop_add(&lnk.data_h, vde_datafd(lnk.conn), EPOLLIN, link_read))
		return -1;
	ctl = vde_ctlfd(lnk.conn);
	lnk.ctl_h.fd = -1;
	if (ctl >= 0 && on_switch())
		nc_loop_add(&lnk.ctl_h, ctl, EPOLLIN, link_ctl_event);
	nc_info("link %s (joined)", lnk.url);
	return 0;
}

/* mtu_changed() - the switch's MTU changed (switch.c): the stack hears it. */
static void mtu_changed(void)
{
	nc_info("link MTU %u", nc_link_mtu());
	if (lnk.on_mtu)
		lnk.on_mtu(nc_link_mtu());
}

/*
 * nc_link_attach() - where received frames go, without opening anything: the
 * first half of nc_link_open(), and all that a harness feeding frames through
 * nc_link_input_frame() needs (with no connection, frames sent are dropped).
 */
void nc_link_attach(const struct nc_config *cfg, nc_link_frame_cb on_frame,
		    nc_link_buffer_cb rx_buffer)
{
	lnk.cfg = cfg;
	lnk.on_frame = on_frame;
	lnk.rx_buffer = rx_buffer;
	lnk.data_h.fd = lnk.ctl_h.fd = -1;
	lnk.tap_fd = -1;
	nc_switch_init(cfg, mtu_changed, switch_frame, switch_buffer);
}

/* nc_link_on_mtu() - who is told when the link's MTU changes (an uplink came or went). */
void nc_link_on_mtu(nc_link_mtu_cb cb)
{
	lnk.on_mtu = cb;
}

/*
 * nc_link_mtu() - the largest IP packet the link carries as it stands: the
 * configured MTU, lowered by the local switch's uplink if it has one.
 */
unsigned nc_link_mtu(void)
{
	unsigned limit = on_switch() ? nc_switch_mtu() : 0;

	return limit && limit < lnk.cfg->mtu ? limit : lnk.cfg->mtu;
}

/* nc_link_open() - attach the stack's callbacks and open the configured link. */
int nc_link_open(const struct nc_config *cfg, nc_link_frame_cb on_frame,
		 nc_link_buffer_cb rx_buffer)
{
	raise_dgram_queue();
	nc_link_attach(cfg, on_frame, rx_buffer);
	nc_loop_add_hook(NC_PHASE_LINK, nc_link_tick);
	return link_connect();
}

/* txq_flush() - send queued frames until the link pushes back again. */
static void txq_flush(void)
{
	while (lnk.txq.count) {
		unsigned i = lnk.txq.head;

		struct iovec iov = { .iov_base = lnk.txq.buf[i], .iov_len = lnk.txq.len[i] };

		if (link_sendv(&iov, 1, lnk.txq.len[i]) < 0) {
			if (errno == EAGAIN || errno == ENOBUFS)
				return;
			lnk.stats.send_errors++;
		} else {
			lnk.stats.frames_out++;
			lnk.stats.bytes_out += lnk.txq.len[i];
		}
		lnk.txq.bytes -= lnk.txq.len[i];
		free(lnk.txq.buf[i]);
		lnk.txq.buf[i] = NULL;
		lnk.txq.head = (i + 1) % TXQ_FRAMES;
		lnk.txq.count--;
	}
	nc_loop_mod(&lnk.data_h, EPOLLIN);
}

/* txq_push() - keep a frame (gathered from its pieces) for later; a full queue drops it, as a wire would. */
static int txq_push(const struct iovec *iov, int n, size_t len)
{
	unsigned i = (lnk.txq.head + lnk.txq.count) % TXQ_FRAMES;
	size_t off = 0;
	int k;

	if (lnk.txq.count == TXQ_FRAMES || lnk.txq.bytes + len > TXQ_BYTES ||
	    !(lnk.txq.buf[i] = malloc(len))) {
		lnk.stats.send_errors++;
		return -1;
	}
	for (k = 0; k < n; k++) {
		memcpy(lnk.txq.buf[i] + off, iov[k].iov_base, iov[k].iov_len);
		off += iov[k].iov_len;
	}
	lnk.txq.len[i] = (uint16_t)len;
	lnk.txq.bytes += len;
	lnk.txq.count++;
	nc_loop_mod(&lnk.data_h, EPOLLIN | EPOLLOUT);
	return 0;
}

/* lossy() - --loss: should this frame be dropped, as a bad wire would? */
static bool lossy(void)
{
	return lnk.cfg && lnk.cfg->loss_ppm && nc_random_u32() % 1000000u < lnk.cfg->loss_ppm;
}

/*
 * nc_link_sendv() - one frame out, in @n pieces of @len bytes in all,
 * in order behind any the link refused. More than one piece only where
 * nc_link_takes_pieces() says so; the first holds the frame's headers.
 */
int nc_link_sendv(const struct iovec *iov, int n, size_t len)
{
	ssize_t sent;

	if (!link_up())
		return -1;
	if (lossy())
		return 0;
	if (lnk.txq.count)
		return txq_push(iov, n, len);
	sent = link_sendv(iov, n, len);
	if (sent < 0) {
		if ((errno == EAGAIN || errno == ENOBUFS) && !lnk.recv_blocks)
			return txq_push(iov, n, len);
		lnk.stats.send_errors++;
		return -1;
	}
	lnk.stats.frames_out++;
	lnk.stats.bytes_out += len;
	return 0;
}

/* nc_link_send() - nc_link_sendv() of a frame in one piece. */
int nc_link_send(const void *frame, size_t len)
{
	struct iovec iov = { .iov_base = (void *)frame, .iov_len = len };

	return nc_link_sendv(&iov, 1, len);
}

void nc_link_close(void)
{
	if (!link_up())
		return;
	nc_loop_del(&lnk.data_h);
	if (lnk.ctl_h.fd >= 0)
		nc_loop_del(&lnk.ctl_h);
	lnk.data_h.fd = lnk.ctl_h.fd = -1;
	if (lnk.tap_fd >= 0)
		close(lnk.tap_fd);
	else if (on_switch())
		nc_switch_leave(lnk.conn, lnk.switch_host);
	else
		vde_close(lnk.conn);
	lnk.conn = NULL;
	lnk.tap_fd = -1;
	while (lnk.txq.count) {
		free(lnk.txq.buf[lnk.txq.head]);
		lnk.txq.buf[lnk.txq.head] = NULL;
		lnk.txq.head = (lnk.txq.head + 1) % TXQ_FRAMES;
		lnk.txq.count--;
	}
	lnk.txq.bytes = 0;
	lnk.switch_host = false;
}

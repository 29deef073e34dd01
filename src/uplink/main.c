/*
 * netcon-uplink - the local switch's way to other hosts.
 *
 *   netcon-uplink SWITCH_DIR URL MTU
 *
 * The service hosting a local switch starts this (uplink.c) when the switch
 * has an uplink: it joins the switch at SWITCH_DIR as one more port and
 * moves frames between it and URL - any vdeplug URL (vxvde://GROUP, the
 * vde:// of another switch), or uml://PATH for a UML switch daemon such as
 * tinc's `DeviceType = uml` socket, which vdeplug's own client cannot use
 * (uml.c says why). The switch learns which MACs live behind this port, so
 * every service on the host reaches every other host through it.
 *
 * A separate process because vdeplug's client handshake blocks until the
 * switch answers, and the switch only answers from its host's loop; it also
 * keeps a hostile frame from the network or a stuck engine away from the
 * service. It ends when the switch does (its host left: the next host
 * starts its own) or when its parent dies. An uplink that goes away (tinc
 * restarted) is reopened every half second; nothing of the engine's is ever
 * created, changed or removed.
 *
 * A frame whose payload is larger than MTU is dropped and counted, never
 * handed to an underlay that would fragment it.
 */
#include <errno.h>
#include <fcntl.h>
#include <libvdeplug.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "uml.h"
#include "../common/log.h"
#include "../common/proc.h"

#define BATCH		64	/* frames moved per wake-up and direction */
#define RETRY_MS	500	/* between attempts to reopen a lost uplink */
#define FRAME_MAX	(VDE_ETHBUFSIZE)
#define WIDEN_BYTES	(8 * 1024 * 1024)	/* socket room for a TCP window's burst */

/* The far side: a vdeplug connection or a UML switch daemon. */
struct uplink {
	VDECONN *vde;
	struct nc_uml *uml;
	bool recv_blocks;	/* vde_datafd() is an epoll fd: vde_recv() may block */
};

static volatile sig_atomic_t stop;
static uint64_t oversize, lost_out, lost_in, frames_out, frames_in;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* uplink_open() - connect to @url; false (said once per outage) if it is not there. */
static bool uplink_open(struct uplink *u, const char *url, bool *said)
{
	char why[256] = "";

	memset(u, 0, sizeof(*u));
	if (!strncmp(url, "uml://", 6)) {
		u->uml = nc_uml_open(url + 6, why, sizeof(why));
	} else {
		u->vde = vde_open((char *)url, "netcon-uplink", NULL);
		if (!u->vde)
			snprintf(why, sizeof(why), "%s", strerror(errno));
	}
	if (!u->uml && !u->vde) {
		if (!*said)
			nc_warn("uplink %s: %s; retrying every %d ms", url, why, RETRY_MS);
		*said = true;
		return false;
	}
	if (u->vde) {
		u->recv_blocks = nc_fd_is_epoll(vde_datafd(u->vde));
		if (!u->recv_blocks)
			fcntl(vde_datafd(u->vde), F_SETFL, fcntl(vde_datafd(u->vde), F_GETFL) | O_NONBLOCK);
	}
	nc_widen_dgram_sockets(WIDEN_BYTES);	/* a plugin's own sockets (vxvde's UDP ones) too */
	nc_info("uplink %s attached", url);
	*said = false;
	return true;
}

static void uplink_close(struct uplink *u)
{
	if (u->vde)
		vde_close(u->vde);
	if (u->uml)
		nc_uml_close(u->uml);
	memset(u, 0, sizeof(*u));
}

static bool uplink_up(const struct uplink *u)
{
	return u->vde || u->uml;
}

static int uplink_datafd(const struct uplink *u)
{
	return u->vde ? vde_datafd(u->vde) : nc_uml_datafd(u->uml);
}

/* uplink_ctlfd() - readable when the far side went away; -1 if it cannot say. */
static int uplink_ctlfd(const struct uplink *u)
{
	return u->vde ? vde_ctlfd(u->vde) : nc_uml_ctlfd(u->uml);
}

static ssize_t uplink_send(struct uplink *u, const void *frame, size_t len)
{
	return u->vde ? vde_send(u->vde, frame, len, MSG_DONTWAIT) : nc_uml_send(u->uml, frame, len);
}

/* uplink_recv() - one frame; @ready: poll() has just said the data descriptor is readable. */
static ssize_t uplink_recv(struct uplink *u, void *buf, size_t len, bool ready)
{
	if (u->vde && u->recv_blocks && !ready) {
		struct pollfd pfd = { .fd = vde_datafd(u->vde), .events = POLLIN };

		if (poll(&pfd, 1, 0) <= 0) {
			errno = EAGAIN;
			return -1;
		}
	}
	if (u->vde && u->recv_blocks)
		return vde_recv(u->vde, buf, len, 0);
	return u->vde ? vde_recv(u->vde, buf, len, MSG_DONTWAIT) : nc_uml_recv(u->uml, buf, len);
}

/* payload_len() - what a frame carries past its Ethernet header (and one VLAN tag). */
static size_t payload_len(const uint8_t *frame, size_t len)
{
	size_t hdr = 14;

	if (len >= 18 && frame[12] == 0x81 && frame[13] == 0x00)
		hdr = 18;
	return len > hdr ? len - hdr : 0;
}

/* switch_to_uplink() - frames the switch sent our port, out to the other hosts. */
static void switch_to_uplink(VDECONN *sw, struct uplink *u, unsigned mtu, uint8_t *buf)
{
	for (int i = 0; i < BATCH; i++) {
		ssize_t n = vde_recv(sw, buf, FRAME_MAX, MSG_DONTWAIT);

		if (n < 0)
			return;
		if (n < 14 || !uplink_up(u))
			continue;	/* a switch event, or nowhere to go yet */
		if (payload_len(buf, (size_t)n) > mtu) {
			if (oversize++ % 1000 == 0)
				nc_warn("a %zd-byte frame does not fit the uplink's MTU %u: dropped "
					"(%llu so far; netcon's services use that MTU, another port on the "
					"switch does not)", n, mtu, (unsigned long long)oversize);
			continue;
		}
		if (uplink_send(u, buf, (size_t)n) < 0) {
			if (errno == ECONNREFUSED || errno == ENOTCONN || errno == EPIPE ||
			    errno == ENOENT) {
				nc_warn("uplink lost (%s)", strerror(errno));
				uplink_close(u);
				return;
			}
			lost_out++;
			continue;
		}
		frames_out++;
	}
}

/* say_foreign() - datagrams not from the UML switch's process were dropped: say so, sparingly. */
static void say_foreign(const struct uplink *u)
{
	static unsigned long long said;
	unsigned long long now = u->uml ? nc_uml_foreign(u->uml) : 0;

	if (now > said && (said == 0 || now / 1000 > said / 1000))
		nc_warn("dropped %llu datagrams sent to the uplink's socket by another process "
			"than the switch's", now);
	if (now > said)
		said = now;
}

/* uplink_to_switch() - frames from the other hosts, into the switch; @ready: POLLIN was seen. */
static void uplink_to_switch(VDECONN *sw, struct uplink *u, uint8_t *buf, bool ready)
{
	for (int i = 0; i < BATCH && uplink_up(u); i++) {
		ssize_t n = uplink_recv(u, buf, FRAME_MAX, ready && i == 0);

		if (n < 0) {
			say_foreign(u);
			if (errno != EAGAIN && errno != EINTR) {
				nc_warn("uplink lost (%s)", strerror(errno));
				uplink_close(u);
			}
			return;
		}
		if (n < 14)
			continue;
		if (vde_send(sw, buf, (size_t)n, MSG_DONTWAIT) < 0)
			lost_in++;
		else
			frames_in++;
	}
}

/* join_switch() - our port on the local switch; its host answers from its loop. */
static VDECONN *join_switch(const char *dir)
{
	char url[4200];
	VDECONN *sw = NULL;

	snprintf(url, sizeof(url), "vde://%s", dir);
	for (int attempt = 0; attempt < 100 && !sw && !stop; attempt++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		sw = vde_open(url, "netcon-uplink", NULL);
		if (!sw)
			nanosleep(&ts, NULL);
	}
	return sw;
}

int main(int argc, char **argv)
{
	static uint8_t buf[FRAME_MAX];
	struct sigaction sa = { .sa_handler = on_signal };
	struct uplink up = { 0 };
	uint64_t retry_at = 0;
	bool said = false;
	unsigned mtu;
	VDECONN *sw;
	char *end;

	nc_log_prefix = "netcon-uplink";
	if (argc != 4 || argv[1][0] != '/' || !*argv[2] ||
	    (mtu = (unsigned)strtoul(argv[3], &end, 10)) < 576 || *end || mtu > 65000) {
		fprintf(stderr, "usage: netcon-uplink SWITCH_DIR URL MTU\n");
		return 2;
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (getppid() == 1)
		return 0;	/* the service that started us is already gone */
	sw = join_switch(argv[1]);
	if (!sw) {
		nc_err("cannot join the switch at %s: %s", argv[1], strerror(errno));
		return 1;
	}
	fcntl(vde_datafd(sw), F_SETFL, fcntl(vde_datafd(sw), F_GETFL) | O_NONBLOCK);
	nc_widen_dgram_sockets(WIDEN_BYTES);
	while (!stop) {
		struct pollfd pfd[4];
		int n = 0, timeout = -1, ctl = -1;

		if (!uplink_up(&up) && now_ms() >= retry_at) {
			if (!uplink_open(&up, argv[2], &said))
				retry_at = now_ms() + RETRY_MS;
		}
		pfd[n++] = (struct pollfd){ .fd = vde_datafd(sw), .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = vde_ctlfd(sw), .events = POLLIN };
		if (uplink_up(&up)) {
			pfd[n++] = (struct pollfd){ .fd = uplink_datafd(&up), .events = POLLIN };
			ctl = uplink_ctlfd(&up);
			if (ctl >= 0)
				pfd[n++] = (struct pollfd){ .fd = ctl, .events = POLLIN };
		} else {
			timeout = (int)(retry_at - now_ms() > RETRY_MS ? RETRY_MS : retry_at - now_ms());
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents) {
			char c;

			if (read(pfd[1].fd, &c, 1) <= 0) {
				nc_info("the local switch is gone; leaving");
				break;
			}
		}
		if (n == 4 && pfd[3].revents) {
			char c;

			if (pfd[3].revents & (POLLHUP | POLLERR) || read(ctl, &c, 1) <= 0) {
				nc_warn("uplink %s went away; retrying every %d ms", argv[2], RETRY_MS);
				uplink_close(&up);
				said = true;
				retry_at = now_ms() + RETRY_MS;
				continue;
			}
		}
		if (pfd[0].revents)
			switch_to_uplink(sw, &up, mtu, buf);
		if (n >= 3 && pfd[2].revents && uplink_up(&up))
			uplink_to_switch(sw, &up, buf, pfd[2].revents & POLLIN);
	}
	nc_info("frames out %llu in %llu, dropped: oversize %llu, full %llu/%llu",
		(unsigned long long)frames_out, (unsigned long long)frames_in,
		(unsigned long long)oversize, (unsigned long long)lost_out,
		(unsigned long long)lost_in);
	uplink_close(&up);
	vde_close(sw);
	return 0;
}

/*
 * lnk.c - frames in and out through vdeplug4.
 *
 * The local switch (switch://DIR, vde://DIR, or the per-user default) has no
 * daemon: whichever service finds no live switch at DIR hosts one in-process
 * with switch://DIR, the others join with vde://DIR. A joined service watches
 * its control connection; when the host exits, the control connection ends
 * and the service runs the same host-or-join election again. A switch left
 * behind by a killed host (joining it fails) is removed.
 * The election runs under an flock on DIR.lock so that two survivors never
 * remove each other's new switch.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libvdeplug.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "link.h"
#include "loop.h"
#include "../common/log.h"

#define LINK_BATCH 64	/* frames taken per wake-up before yielding */

static struct {
	const struct nc_config *cfg;
	VDECONN *conn;
	bool switch_host;
	char url[300];
	nc_link_frame_cb on_frame;
	struct nc_loop_handler data_h, ctl_h;
	struct nc_link_stats stats;
	uint8_t frame[VDE_ETHBUFSIZE];
} lnk;

static int link_connect(void);

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

/* remove_stale_switch() - delete a dead switch's folder (its sockets only). */
static void remove_stale_switch(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	nc_warn("removing stale switch %s left by a service that died", dir);
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
	}
	closedir(d);
	if (rmdir(dir))
		nc_warn("cannot remove %s: %m", dir);
}

/* mkdir_parents() - create the folders above @dir, private to the user. */
static void mkdir_parents(const char *dir)
{
	char path[PATH_MAX];
	char *p;

	snprintf(path, sizeof(path), "%s", dir);
	for (p = path + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			nc_debug("mkdir %s: %m", path);
		*p = '/';
	}
}

/*
 * elect_switch() - join the live switch at DIR, or host a new one there.
 * Returns the open connection, or NULL.
 */
static VDECONN *elect_switch(const char *dir, bool *host)
{
	char lock_path[PATH_MAX], url[PATH_MAX + 16];
	VDECONN *conn = NULL;
	int attempt, lock_fd;

	mkdir_parents(dir);
	snprintf(lock_path, sizeof(lock_path), "%s.lock", dir);
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0) {
		nc_err("cannot open %s: %m", lock_path);
		return NULL;
	}
	for (attempt = 0; attempt < 50 && !conn; attempt++) {
		if (flock(lock_fd, LOCK_EX) < 0 && errno != EINTR)
			break;
		/*
		 * Joining is the test of liveness: a bare connect-and-close probe
		 * of DIR/ctl makes vdeplug's switch spin on the dead connection.
		 */
		snprintf(url, sizeof(url), "vde://%s", dir);
		conn = vde_open(url, "netcon", NULL);
		*host = false;
		if (!conn) {
			if (access(dir, F_OK) == 0)
				remove_stale_switch(dir);
			snprintf(url, sizeof(url), "switch://%s", dir);
			conn = vde_open(url, "netcon", NULL);
			*host = true;
		}
		flock(lock_fd, LOCK_UN);
		if (!conn) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			nc_debug("switch %s: %m, retrying", url);
			nanosleep(&ts, NULL);
		}
	}
	close(lock_fd);
	if (conn)
		snprintf(lnk.url, sizeof(lnk.url), "%s", url);
	return conn;
}

/* link_read() - take the frames that are waiting and hand them to the stack. */
static void link_read(struct nc_loop_handler *h, uint32_t events)
{
	int i;

	(void)h;
	(void)events;
	if (!lnk.conn)
		return;
	for (i = 0; i < LINK_BATCH; i++) {
		ssize_t n;

		if (i > 0 && lnk.switch_host) {
			/* The host's vde_recv() blocks: only call it when readable. */
			struct pollfd pfd = { .fd = vde_datafd(lnk.conn), .events = POLLIN };

			if (poll(&pfd, 1, 0) <= 0)
				break;
		}
		n = vde_recv(lnk.conn, lnk.frame, sizeof(lnk.frame),
			     lnk.switch_host ? 0 : MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				nc_debug("link receive: %m");
			break;
		}
		if (n < 14) {
			/* 1: an event inside the switch; anything else short is a runt. */
			if (n != 1)
				lnk.stats.runts++;
			continue;
		}
		lnk.stats.frames_in++;
		lnk.stats.bytes_in += (uint64_t)n;
		lnk.on_frame(lnk.frame, (size_t)n);
	}
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
	if (link_connect())
		nc_err("could not rejoin the local switch; the link is down");
}

static void set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* link_connect() - open the configured link and register it in the loop. */
static int link_connect(void)
{
	const struct nc_config *cfg = lnk.cfg;
	int ctl;

	lnk.switch_host = false;
	if (cfg->link_kind == NC_LINK_DEFAULT_SWITCH || cfg->link_kind == NC_LINK_SWITCH) {
		lnk.conn = elect_switch(cfg->switch_dir, &lnk.switch_host);
	} else {
		snprintf(lnk.url, sizeof(lnk.url), "%s", cfg->net);
		lnk.conn = vde_open(lnk.url, "netcon", NULL);
	}
	if (!lnk.conn) {
		nc_err("cannot open the link %s: %m", *cfg->net ? cfg->net : cfg->switch_dir);
		return -1;
	}
	if (!lnk.switch_host)
		set_nonblocking(vde_datafd(lnk.conn));
	if (nc_loop_add(&lnk.data_h, vde_datafd(lnk.conn), EPOLLIN, link_read))
		return -1;
	ctl = vde_ctlfd(lnk.conn);
	lnk.ctl_h.fd = -1;
	if (ctl >= 0 && !lnk.switch_host &&
	    (cfg->link_kind == NC_LINK_DEFAULT_SWITCH || cfg->link_kind == NC_LINK_SWITCH))
		nc_loop_add(&lnk.ctl_h, ctl, EPOLLIN, link_ctl_event);
	nc_info("link %s (%s)", lnk.url,
		lnk.switch_host ? "hosting the switch" : "joined");
	return 0;
}

int nc_link_open(const struct nc_config *cfg, nc_link_frame_cb on_frame)
{
	lnk.cfg = cfg;
	lnk.on_frame = on_frame;
	lnk.data_h.fd = lnk.ctl_h.fd = -1;
	return link_connect();
}

/* nc_link_send() - one frame out; a full link drops it, as a wire would. */
int nc_link_send(const void *frame, size_t len)
{
	ssize_t n;

	if (!lnk.conn)
		return -1;
	n = vde_send(lnk.conn, frame, len, 0);
	if (n < 0) {
		lnk.stats.send_errors++;
		return -1;
	}
	lnk.stats.frames_out++;
	lnk.stats.bytes_out += len;
	return 0;
}

void nc_link_close(void)
{
	if (!lnk.conn)
		return;
	nc_loop_del(&lnk.data_h);
	if (lnk.ctl_h.fd >= 0)
		nc_loop_del(&lnk.ctl_h);
	lnk.data_h.fd = lnk.ctl_h.fd = -1;
	vde_close(lnk.conn);
	lnk.conn = NULL;
	lnk.switch_host = false;
}

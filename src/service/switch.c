/*
 * switch.c - the local switch's folder: who hosts it, whose it is, and what
 * it is attached to.
 *
 * The local switch (switch://DIR, vde://DIR, or the per-user default) has no
 * daemon: whichever service finds no live switch at DIR hosts one in-process
 * (vswitch.c), the others join with vdeplug's vde://DIR. When the host exits,
 * the joined services run the same host-or-join election again. The
 * election runs under an flock on DIR's parent folder (ours: checked), so
 * that two survivors never remove each other's new switch, and leaves no
 * lock file behind.
 *
 * A folder is netcon's only if it holds DIR/.netcon, which the host writes
 * as soon as it has made the folder. A switch that does not answer is
 * removed only then (a host that was killed); anything else at DIR - tinc's
 * UML socket, a vde_switch that is restarting - is reported and retried,
 * never touched.
 *
 * DIR/.netcon also says what the switch is attached to: "uplink URL" and
 * "mtu N", the largest IP packet the uplink carries. The host runs the
 * uplink (uplink.c) and writes both; a joined service started with --uplink
 * writes its URL there for the host to pick up; every service reads the MTU
 * and keeps the uplink's URL in memory, so that whoever hosts next
 * re-attaches it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "switch.h"
#include "uplink.h"
#include "vswitch.h"
#include "../common/log.h"
#include "../common/paths.h"
#include "../common/underlay.h"

#define MARKER		".netcon"
#define MARKER_TMP	".netcon.tmp"
#define WATCH_MS	1000	/* how often DIR/.netcon is read again */

/* What DIR/.netcon says. */
struct sw_state {
	char uplink[256];
	unsigned mtu;		/* 0: no limit from the uplink */
	long host_pid;		/* the service hosting it (a folder's inode can be reused) */
};

static struct {
	const struct nc_config *cfg;
	struct sw_state known;	/* the switch's uplink as last seen (or as we set it) */
	bool said_foreign;	/* "not netcon's, leaving it alone" is in the log */
	bool said_uplink_lost;	/* "--uplink is not carried" is */
	uint64_t next_watch;
	nc_switch_mtu_cb on_mtu;
	nc_vswitch_frame_cb on_frame;	/* where the switch we host delivers our frames */
	nc_vswitch_buffer_cb rx_buffer;
} sw;

static void marker_path(const char *dir, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* read_marker() - DIR/.netcon into @st: 0, or -1 if there is none (not netcon's). */
static int read_marker(const char *dir, struct sw_state *st)
{
	char path[PATH_MAX], line[300];
	struct stat sb;
	FILE *f;
	int fd;

	marker_path(dir, MARKER, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() || !(f = fdopen(fd, "r"))) {
		close(fd);
		return -1;
	}
	memset(st, 0, sizeof(*st));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "uplink ", 7))
			snprintf(st->uplink, sizeof(st->uplink), "%s", line + 7);
		else if (!strncmp(line, "mtu ", 4))
			st->mtu = (unsigned)strtoul(line + 4, NULL, 10);
		else if (!strncmp(line, "host ", 5))
			st->host_pid = strtol(line + 5, NULL, 10);
	}
	fclose(f);
	if (st->mtu && (st->mtu < 1280 || st->mtu > 65000))
		st->mtu = 0;
	return 0;
}

/* write_marker() - DIR/.netcon from @st, replaced in one rename. */
static int write_marker(const char *dir, const struct sw_state *st)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	FILE *f;
	int fd;

	marker_path(dir, MARKER_TMP, tmp, sizeof(tmp));
	marker_path(dir, MARKER, path, sizeof(path));
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		nc_warn("cannot write %s: %m", tmp);
		return -1;
	}
	fprintf(f, "# netcon's local switch: written by the service hosting it\n");
	if (st->uplink[0])
		fprintf(f, "uplink %s\n", st->uplink);
	fprintf(f, "mtu %u\n", st->mtu);
	fprintf(f, "host %ld\n", st->host_pid);
	if (fclose(f) || rename(tmp, path)) {
		nc_warn("cannot write %s: %m", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * remove_stale_switch() - delete the folder of a netcon switch whose host is
 * gone (killed, or exiting right now): its sockets and marker only.
 */
static void remove_stale_switch(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	nc_warn("taking over the switch at %s: its host is gone", dir);
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st) == 0 &&
		    (S_ISSOCK(st.st_mode) ||
		     (S_ISREG(st.st_mode) && (!strcmp(de->d_name, MARKER) || !strcmp(de->d_name, MARKER_TMP)))))
			unlink(path);
	}
	closedir(d);
	if (rmdir(dir))
		nc_warn("cannot remove %s: %m", dir);
}

/*
 * secure_switch_dir() - the switch's folder and the one holding it must be
 * ours alone: a switch another user set up would carry our traffic to them.
 * The switch folder itself is made by vswitch.c.
 */
static int secure_switch_dir(const char *dir)
{
	char parent[PATH_MAX], why[512], *slash;
	struct stat st;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (nc_secure_dir(parent, -1, why, sizeof(why))) {
			nc_err("%s", why);
			return -1;
		}
	}
	if (lstat(dir, &st) == 0 &&
	    (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022))) {
		nc_err("refusing switch folder %s: %s", dir,
		       !S_ISDIR(st.st_mode) ? "not a folder (a symbolic link?)" :
		       st.st_uid != geteuid() ? "it belongs to another user" : "others may write to it");
		return -1;
	}
	return 0;
}

/* lock_parent() - the election's lock: an flock on DIR's parent folder. The fd, or -1. */
static int lock_parent(const char *dir)
{
	char parent[PATH_MAX], *slash;
	int fd;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash)
		return -1;
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		nc_err("cannot open %s: %m", parent);
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			nc_err("cannot lock %s: %m", parent);
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* apply_state() - what DIR/.netcon says, taken in: the uplink remembered, the MTU passed on. */
static void apply_state(const struct sw_state *st)
{
	bool mtu_changed = st->mtu != sw.known.mtu;

	if (st->uplink[0])
		snprintf(sw.known.uplink, sizeof(sw.known.uplink), "%s", st->uplink);
	sw.known.mtu = st->mtu;
	if (mtu_changed && sw.on_mtu)
		sw.on_mtu();
}

/*
 * host_state() - as the new host: the uplink is ours if we were given one,
 * else the one the switch had; its MTU from what it encapsulates in.
 */
static void host_state(const char *dir)
{
	struct sw_state st = { .host_pid = (long)getpid() };
	char why[200] = "";

	snprintf(st.uplink, sizeof(st.uplink), "%s", sw.known.uplink);
	if (st.uplink[0]) {
		st.mtu = nc_underlay_mtu(st.uplink, why, sizeof(why));
		if (st.mtu)
			nc_info("uplink %s: MTU %u (%s)", st.uplink, st.mtu, why);
	}
	write_marker(dir, &st);
	apply_state(&st);
}

/*
 * nc_switch_elect() - join the live switch at the configured folder, or host
 * a new one there. 0 with the connection in *@conn (joined) or *@host set
 * (hosting: *@conn is NULL), and the URL in @url; -1 if there is none for
 * now (the caller retries).
 */
int nc_switch_elect(VDECONN **conn_out, bool *host, char *url, size_t urllen)
{
	const char *dir = sw.cfg->switch_dir;
	VDECONN *conn = NULL;
	struct sw_state st;
	int attempt, lock_fd;

	*conn_out = NULL;
	*host = false;
	if (secure_switch_dir(dir))
		return -1;
	for (attempt = 0; attempt < 50 && !conn && !*host; attempt++) {
		bool foreign = false;

		if ((lock_fd = lock_parent(dir)) < 0)
			return -1;
		/*
		 * Joining is the test of liveness: a bare connect-and-close probe
		 * of DIR/ctl makes vdeplug's switch spin on the dead connection.
		 */
		snprintf(url, urllen, "vde://%s", dir);
		conn = vde_open(url, "netcon", NULL);
		*host = false;
		if (conn) {
			if (read_marker(dir, &st) == 0) {
				apply_state(&st);
				if (sw.cfg->uplink[0] && strcmp(st.uplink, sw.cfg->uplink)) {
					snprintf(st.uplink, sizeof(st.uplink), "%s", sw.cfg->uplink);
					write_marker(dir, &st);	/* the host picks it up */
				}
			} else if (sw.cfg->uplink[0] && !sw.said_uplink_lost) {
				nc_warn("%s is not a netcon switch: --uplink %s is not carried", dir,
					sw.cfg->uplink);
				sw.said_uplink_lost = true;
			}
		} else if (access(dir, F_OK) == 0) {
			if (read_marker(dir, &st) == 0) {
				if (!sw.known.uplink[0])
					snprintf(sw.known.uplink, sizeof(sw.known.uplink), "%s", st.uplink);
				remove_stale_switch(dir);
			} else {
				foreign = true;
			}
		}
		if (!conn && !foreign) {
			snprintf(url, urllen, "switch://%s", dir);
			*host = nc_vswitch_open(dir, sw.on_frame, sw.rx_buffer) == 0;
			if (*host)
				host_state(dir);
		}
		close(lock_fd);
		if (foreign) {
			if (!sw.said_foreign)
				nc_warn("the switch at %s does not answer and is not netcon's "
					"(no %s/%s): leaving it alone", dir, dir, MARKER);
			sw.said_foreign = true;
			return -1;
		}
		if (!conn && !*host) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			nc_debug("switch %s: %m, retrying", url);
			nanosleep(&ts, NULL);
		}
	}
	if (*host && sw.known.uplink[0])
		nc_uplink_start(dir, sw.known.uplink, sw.known.mtu);
	if (!conn && !*host)
		return -1;
	sw.said_foreign = false;
	*conn_out = conn;
	return 0;
}

/*
 * nc_switch_leave() - close our connection @conn to the switch. Its host
 * stops the uplink, closes the switch (its ports and sockets), then,
 * under the election's lock, takes its marker and folder away - unless a
 * service that found it closing has already replaced it (the marker names
 * another host).
 * The switch is closed before the lock is taken: a service starting now may
 * hold the lock while it waits for the switch's answer, which only our loop
 * could give.
 */
void nc_switch_leave(VDECONN *conn, bool was_host)
{
	const char *dir = sw.cfg->switch_dir;
	char path[PATH_MAX];
	struct sw_state st;
	int lock_fd;

	if (!was_host) {
		vde_close(conn);
		return;
	}
	nc_uplink_stop();
	nc_vswitch_close();
	lock_fd = lock_parent(dir);
	if (read_marker(dir, &st) == 0 && st.host_pid == (long)getpid()) {
		marker_path(dir, MARKER, path, sizeof(path));
		unlink(path);
		rmdir(dir);
	}
	if (lock_fd >= 0)
		close(lock_fd);
}

/*
 * nc_switch_tick() - every second: read DIR/.netcon again (a joined service
 * may have named an uplink; the host may have changed the MTU); the host
 * (re)starts its uplink. Returns ms until it wants to run again.
 */
int nc_switch_tick(bool host)
{
	uint64_t now = nc_now_ms();
	struct sw_state st;

	if (now < sw.next_watch)
		return (int)(sw.next_watch - now);
	sw.next_watch = now + WATCH_MS;
	if (read_marker(sw.cfg->switch_dir, &st))
		return WATCH_MS;
	if (!host) {
		apply_state(&st);
		return WATCH_MS;
	}
	if (strcmp(st.uplink, sw.known.uplink) && st.uplink[0]) {
		nc_info("the switch's uplink is now %s", st.uplink);
		snprintf(sw.known.uplink, sizeof(sw.known.uplink), "%s", st.uplink);
		nc_uplink_stop();
		host_state(sw.cfg->switch_dir);
		nc_uplink_start(sw.cfg->switch_dir, sw.known.uplink, sw.known.mtu);
	}
	nc_uplink_tick();
	return WATCH_MS;
}

/*
 * nc_switch_init() - the configuration, who hears of MTU changes, and where
 * a switch we host delivers the frames for our own stack.
 */
void nc_switch_init(const struct nc_config *cfg, nc_switch_mtu_cb on_mtu,
		    nc_vswitch_frame_cb on_frame, nc_vswitch_buffer_cb rx_buffer)
{
	sw.cfg = cfg;
	sw.on_mtu = on_mtu;
	sw.on_frame = on_frame;
	sw.rx_buffer = rx_buffer;
	snprintf(sw.known.uplink, sizeof(sw.known.uplink), "%s", cfg->uplink);
}

/* nc_switch_mtu() - the largest IP packet the switch's uplink carries, 0 if unlimited. */
unsigned nc_switch_mtu(void)
{
	return sw.known.mtu;
}

/* nc_switch_uplink() - the switch's uplink as this service knows it ("" if none). */
const char *nc_switch_uplink(void)
{
	return sw.known.uplink;
}

/*
 * uplink.c - the switch's host runs netcon-uplink (src/uplink/main.c), and
 * starts it again if it ends while the switch still needs it.
 *
 * It is a child process (see its header for why); it dies with us
 * (PR_SET_PDEATHSIG) and leaves on its own when the switch goes.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "uplink.h"
#include "../common/log.h"
#include "../common/proc.h"

#define RESTART_MS	1000	/* the first restart's delay, doubled while it keeps failing */
#define RESTART_MAX_MS	30000
#define STEADY_MS	5000	/* it ran this long: the next failure starts from RESTART_MS */

extern char **environ;

static struct {
	pid_t pid;
	char dir[PATH_MAX], url[256];
	unsigned mtu;
	bool wanted;
	uint64_t restart_at, started_at;
	unsigned delay_ms;
} up;

/* helper_path() - netcon-uplink, next to this program. */
static int helper_path(char *buf, size_t len)
{
	char exe[PATH_MAX];

	if (nc_exe_dir(exe, sizeof(exe)))
		return -1;
	return (size_t)snprintf(buf, len, "%s/netcon-uplink", exe) < len ? 0 : -1;
}

static void spawn(void)
{
	char path[PATH_MAX], mtu[16];
	char *argv[] = { path, up.dir, up.url, mtu, NULL };
	posix_spawn_file_actions_t fa;
	int err;

	/* The uplink's own limit, or the switch's frames as they are (vdeplug carries 9 KiB). */
	snprintf(mtu, sizeof(mtu), "%u", up.mtu ? up.mtu : 9000);
	if (helper_path(path, sizeof(path))) {
		nc_err("uplink: cannot find netcon-uplink next to this program");
		return;
	}
	/* Nothing of ours but stdio: a socket end held there would keep a program's socket alive. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	err = posix_spawn(&up.pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		nc_err("uplink: cannot start %s: %s", path, strerror(err));
		up.pid = 0;
		up.restart_at = nc_now_ms() + RESTART_MS;
		return;
	}
	up.started_at = nc_now_ms();
	nc_info("uplink %s: netcon-uplink pid %d", up.url, (int)up.pid);
}

/* nc_uplink_start() - carry @url for the switch at @switch_dir (as its host). */
void nc_uplink_start(const char *switch_dir, const char *url, unsigned mtu)
{
	nc_uplink_stop();
	snprintf(up.dir, sizeof(up.dir), "%s", switch_dir);
	snprintf(up.url, sizeof(up.url), "%s", url);
	up.mtu = mtu;
	up.wanted = true;
	spawn();
}

/* nc_uplink_stop() - no longer the host: the uplink goes (and is waited for). */
void nc_uplink_stop(void)
{
	up.wanted = false;
	if (up.pid <= 0)
		return;
	kill(up.pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (waitpid(up.pid, NULL, WNOHANG) == up.pid) {
			up.pid = 0;
			return;
		}
		nanosleep(&ts, NULL);
	}
	kill(up.pid, SIGKILL);
	waitpid(up.pid, NULL, 0);
	up.pid = 0;
}

/* nc_uplink_tick() - an uplink that ended while wanted is started again after a second. */
void nc_uplink_tick(void)
{
	int status;

	if (up.pid > 0 && waitpid(up.pid, &status, WNOHANG) == up.pid) {
		uint64_t now = nc_now_ms();

		up.delay_ms = now - up.started_at >= STEADY_MS || !up.delay_ms ? RESTART_MS :
			      up.delay_ms * 2 > RESTART_MAX_MS ? RESTART_MAX_MS : up.delay_ms * 2;
		nc_warn("netcon-uplink %d ended (%s %d); starting it again in %u s", (int)up.pid,
			WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), up.delay_ms / 1000);
		up.pid = 0;
		up.restart_at = now + up.delay_ms;
	}
	if (up.wanted && up.pid <= 0 && nc_now_ms() >= up.restart_at)
		spawn();
}

pid_t nc_uplink_pid(void)
{
	return up.pid;
}

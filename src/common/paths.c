/*
 * paths.c - default locations, shared by the service, the intercept and
 * tools, and the checks that keep another user from squatting them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

/* fits() - snprintf's result as 0 when it fitted, -1 when it was cut. */
static int fits(int n, size_t len)
{
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/*
 * nc_real_uid() - our uid outside any user namespace (read from uid_map):
 * every user of `unshare -r` or a rootless container is uid 0 inside, and
 * each must still get a folder of their own.
 */
unsigned nc_real_uid(void)
{
	unsigned uid = (unsigned)getuid(), inside, outside, count;
	FILE *f = fopen("/proc/self/uid_map", "re");

	if (!f)
		return uid;
	while (fscanf(f, "%u %u %u", &inside, &outside, &count) == 3) {
		if (uid >= inside && uid - inside < count) {
			uid = outside + (uid - inside);
			break;
		}
	}
	fclose(f);
	return uid;
}

int nc_default_dir(char *buf, size_t len)
{
	const char *env = getenv("NETCON_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (env && *env)
		return fits(snprintf(buf, len, "%s", env), len);
	if (xdg && *xdg == '/')
		return fits(snprintf(buf, len, "%s/netcon", xdg), len);
	return fits(snprintf(buf, len, "/tmp/netcon-%u", nc_real_uid()), len);
}

int nc_default_socket(char *buf, size_t len)
{
	const char *env = getenv("NETCON_SOCKET");
	char dir[200];

	if (env && *env)
		return fits(snprintf(buf, len, "%s", env), len);
	if (nc_default_dir(dir, sizeof(dir)))
		return -1;
	return fits(snprintf(buf, len, "%s/service.sock", dir), len);
}

int nc_program_socket(char *buf, size_t len)
{
	const char *env = getenv("NETCON_SOCKET");
	struct stat st;

	if (!(env && *env) && !getenv("NETCON_DIR") &&
	    stat(NC_CONTAINER_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode))
		return fits(snprintf(buf, len, "%s", NC_CONTAINER_SOCKET), len);
	return nc_default_socket(buf, len);
}

int nc_default_switch(char *buf, size_t len)
{
	char dir[200];

	if (nc_default_dir(dir, sizeof(dir)))
		return -1;
	return fits(snprintf(buf, len, "%s/switch", dir), len);
}

/* mkdir_parents() - create the folders above @dir that are missing, private. */
static void mkdir_parents(const char *dir)
{
	char path[4096];
	char *p;

	if (fits(snprintf(path, sizeof(path), "%s", dir), sizeof(path)))
		return;
	for (p = path + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			break;
		*p = '/';
	}
}

int nc_secure_dir(const char *dir, long group, char *why, size_t whylen)
{
	mode_t mode = group >= 0 ? 0750 : 0700;
	struct stat st;
	int fd;

	mkdir_parents(dir);
	if (mkdir(dir, mode) && errno != EEXIST) {
		snprintf(why, whylen, "cannot create folder %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) {
		snprintf(why, whylen,
			 "refusing folder %s: it is a symbolic link (to a folder another user may control); remove it or choose another folder",
			 dir);
		return -1;
	}
	/* O_NOFOLLOW: what is checked is the folder itself, never a link's target. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			snprintf(why, whylen, "refusing folder %s: %s", dir,
				 errno == ELOOP ? "it is a symbolic link" : "it is not a folder");
		else
			snprintf(why, whylen, "cannot open folder %s: %s", dir, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		snprintf(why, whylen, "cannot check folder %s: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, whylen,
			 "refusing folder %s: it belongs to uid %u, not to us (uid %u); another user may be impersonating a service: remove it or choose another folder (--socket, NETCON_DIR)",
			 dir, (unsigned)st.st_uid, (unsigned)geteuid());
		close(fd);
		return -1;
	}
	if (st.st_mode & 0022) {
		snprintf(why, whylen,
			 "refusing folder %s: others may write to it (mode %04o); chmod go-w it or choose another folder",
			 dir, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	/* With --group, its members must reach the socket inside. */
	if (group >= 0 && ((st.st_gid != (gid_t)group && fchown(fd, (uid_t)-1, (gid_t)group)) ||
			   ((st.st_mode & 0050) != 0050 && fchmod(fd, (st.st_mode & 07777) | 0050)))) {
		snprintf(why, whylen, "cannot open folder %s to group %ld: %s", dir, group,
			 strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int nc_peer_trusted(unsigned peer_uid, const char *trusted_env, char *why, size_t whylen,
		    const char *path)
{
	unsigned long extra;
	char *end;

	if (peer_uid == 0 || peer_uid == (unsigned)getuid() || peer_uid == (unsigned)geteuid())
		return 1;
	if (trusted_env && *trusted_env) {
		errno = 0;
		extra = strtoul(trusted_env, &end, 10);
		if (!errno && !*end && extra == peer_uid)
			return 1;
	}
	snprintf(why, whylen,
		 "refusing the service at %s: it runs as uid %u, not as your uid %u or root, so it may be another user's impostor; set NETCON_SERVICE_UID=%u to trust it",
		 path, peer_uid, (unsigned)geteuid(), peer_uid);
	return 0;
}

/*
 * agentd.c - the OCI seccomp agent's process (netcon-supervise --agent).
 *
 * A runtime connects to the agent's socket for each container process and
 * brings its seccomp listener (agent.c reads what it sends). The listener
 * is served by the supervisor of the service the container asked for: the
 * agent's own (--socket, NETCON_SOCKET) when its listenerMetadata names no
 * network, else a supervisor process per network, started on first use for
 * DIR/NET/service.sock, the socket `netcon serve NET` keeps. A network's
 * supervisor is this program again (execed, so that it starts with one
 * thread and its own client configuration), given listeners over a
 * SEQPACKET pair. Stopping the agent stops them and removes its socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "agentd.h"
#include "supervise.h"
#include "../common/fdpass.h"
#include "../common/log.h"

#define MAX_NETWORKS 64

static struct network {
	char name[64];
	pid_t pid;
	int chan;		/* our end of the pair; -1: unused */
} networks[MAX_NETWORKS];

static const char *agent_socket, *agent_dir;

/* agent_stop() - SIGTERM or SIGINT: the networks' supervisors and our socket go with us. */
static void agent_stop(int sig)
{
	unsigned i;

	for (i = 0; i < MAX_NETWORKS; i++)
		if (networks[i].chan >= 0 && networks[i].pid > 0)
			kill(networks[i].pid, SIGTERM);
	unlink(agent_socket);
	_exit(128 + sig);
}

/* start_network() - the supervisor process for network @n->name; false if it cannot start. */
static bool start_network(struct network *n)
{
	char path[4096], fdarg[16];
	struct stat st;
	int pair[2];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s/service.sock", agent_dir, n->name);
	if (stat(path, &st) || !S_ISSOCK(st.st_mode)) {
		nc_err("network %s: no service at %s (netcon serve %s)", n->name, path, n->name);
		return false;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair))
		return false;
	pid = fork();
	if (pid < 0) {
		close(pair[0]);
		close(pair[1]);
		return false;
	}
	if (pid == 0) {
		/* Only the child's end crosses exec. */
		fcntl(pair[1], F_SETFD, 0);
		snprintf(fdarg, sizeof(fdarg), "%d", pair[1]);
		execl("/proc/self/exe", "netcon-supervise", "--socket", path, "--network-fd", fdarg,
		      (char *)NULL);
		_exit(127);
	}
	close(pair[1]);
	n->pid = pid;
	n->chan = pair[0];
	nc_info("network %s: supervisor %d for %s", n->name, (int)pid, path);
	return true;
}

/* network_of() - the running supervisor of network @name, started if need be; NULL if none. */
static struct network *network_of(const char *name)
{
	struct network *free_slot = NULL;
	unsigned i;

	for (i = 0; i < MAX_NETWORKS; i++) {
		struct network *n = &networks[i];

		if (n->chan >= 0 && !strcmp(n->name, name)) {
			if (waitpid(n->pid, NULL, WNOHANG) == 0)
				return n;
			close(n->chan);	/* it died: start another */
			n->chan = -1;
		}
		if (n->chan < 0 && !free_slot)
			free_slot = n;
	}
	if (!free_slot) {
		nc_err("network %s: more than %d networks", name, MAX_NETWORKS);
		return NULL;
	}
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	return start_network(free_slot) ? free_slot : NULL;
}

/* agent_ready() - a runtime brings a container's listener. */
static void agent_ready(struct nc_sup *sup, int fd, void *arg)
{
	char name[NC_AGENT_NAME_MAX], net[64];
	int listener = nc_agent_accept(fd, name, sizeof(name), net, sizeof(net));
	struct network *n;

	(void)arg;
	if (listener < 0)
		return;	/* said by nc_agent_accept() */
	if (!net[0]) {
		if (nc_sup_add_listener(sup, listener, name))
			nc_warn("container %s: too many listeners", name);
		else
			nc_info("container %s: supervised", name);
		return;
	}
	if (!agent_dir) {
		/* Closing the listener fails the container's socket calls (ENOSYS), loudly. */
		nc_err("container %s asks for network %s, but the agent has no --dir: refused", name, net);
		close(listener);
		return;
	}
	n = network_of(net);
	if (!n || nc_send_fd(n->chan, name, strlen(name) + 1, listener, MSG_DONTWAIT) < 0)
		nc_err("container %s: network %s: not served (%s)", name, net,
		       n ? strerror(errno) : "no supervisor");
	else
		nc_info("container %s: supervised on network %s", name, net);
	close(listener);
}

/* new_sup() - the supervisor this process runs, or NULL (said). */
static struct nc_sup *new_sup(void)
{
	struct nc_sup *sup = nc_sup_new();

	if (!sup)
		nc_err("cannot start the supervisor: %s", strerror(errno));
	return sup;
}

int nc_agentd_run(const char *path, const char *dir)
{
	struct nc_sup *sup;
	unsigned i;
	int fd;

	for (i = 0; i < MAX_NETWORKS; i++)
		networks[i].chan = -1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	if (!(sup = new_sup()))
		return 1;
	fd = nc_agent_listen(path, 0600);
	if (fd < 0) {
		nc_err("cannot listen on %s: %s", path, strerror(-fd));
		return 1;
	}
	agent_socket = path;
	agent_dir = dir;
	signal(SIGTERM, agent_stop);
	signal(SIGINT, agent_stop);
	nc_sup_watch(sup, fd, agent_ready, NULL);
	nc_info("OCI seccomp agent on %s%s%s", path, dir ? ", networks in " : "", dir ? dir : "");
	return nc_sup_run(sup) ? 1 : 0;
}

/* from_agent() - a listener from the agent, or its end: the agent is gone, so are we once idle. */
static void from_agent(struct nc_sup *sup, int fd, void *arg)
{
	char name[NC_AGENT_NAME_MAX];
	int listener = -1;
	ssize_t n = nc_recv_fd(fd, name, sizeof(name) - 1, &listener, MSG_CMSG_CLOEXEC);

	(void)arg;
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* The agent stopped (it stops us too): nothing more will come. */
		_exit(0);
	}
	name[n] = '\0';
	if (listener < 0) {
		nc_warn("a message from the agent without a listener");
		return;
	}
	if (nc_sup_add_listener(sup, listener, name))
		nc_warn("container %s: too many listeners", name);
}

int nc_agentd_network(int chan)
{
	struct nc_sup *sup;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	if (!(sup = new_sup()))
		return 1;
	nc_sup_watch(sup, chan, from_agent, NULL);
	return nc_sup_run(sup) ? 1 : 0;
}

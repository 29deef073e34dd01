/*
 * agent.h - the OCI seccomp agent: where container runtimes bring the
 * seccomp listener of a container whose profile names netcon's agent in
 * linux.seccomp.listenerPath (runc 1.1, crun 1.8; Docker and Podman pass the
 * field through from `--security-opt seccomp=FILE`).
 *
 * A runtime connects (AF_UNIX, SOCK_STREAM, one connection per container
 * process), sends the "container process state" as JSON with the listener
 * as SCM_RIGHTS on the first message, and expects no answer. See agent.c
 * for what is accepted.
 */
#ifndef NETCON_SECCOMP_AGENT_H
#define NETCON_SECCOMP_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Limits on what a runtime may send. */
#define NC_AGENT_MAX_STATE (256 * 1024)	/* bytes of JSON */
#define NC_AGENT_MAX_FDS 16		/* descriptors (names in "fds") */
#define NC_AGENT_TIMEOUT_MS 2000	/* from accept to the end of the state */
#define NC_AGENT_NAME_MAX 256		/* a name buffer this large never truncates */

/*
 * Listen on @path (a Unix stream socket of mode @mode: 0600 keeps other
 * users' runtimes out) for runtimes. A stale socket nobody answers on is
 * replaced; a live one is -EADDRINUSE, anything else at @path -EEXIST.
 * Returns the listening descriptor (non-blocking, close-on-exec) or -errno.
 */
int nc_agent_listen(const char *path, mode_t mode);

/*
 * One runtime connection on listening descriptor @lfd: reads its container
 * process state and descriptors, checks them, and returns the seccomp
 * listener (close-on-exec; the caller owns it) with @name filled with the
 * container's name (listenerMetadata "name=VALUE", else the container id,
 * shortened to 12 characters when it is Docker's or Podman's 64-character
 * hexadecimal id; truncated to @name_size - 1) and @network with its
 * listenerMetadata "network=NET" ("" when none). On any error everything
 * received is closed and -errno returned, after one log line saying why:
 * -EAGAIN (no connection was waiting), -EPROTO (a malformed state),
 * -ETIMEDOUT (the state did not arrive in NC_AGENT_TIMEOUT_MS), -EMSGSIZE,
 * -EBADF (no, or not a seccomp, descriptor), -ENODATA (a connection closed
 * with nothing sent: another agent's probe, logged as information only).
 * None of these concerns other connections: keep listening.
 */
int nc_agent_accept(int lfd, char *name, size_t name_size, char *network, size_t network_size);

/* What nc_agent_parse_state() takes from a container process state. */
struct nc_agent_state {
	char oci_version[64];
	char id[256];			/* state.id ("" when absent: crun may omit it) */
	char status[32];		/* state.status ("" when absent) */
	char metadata[4096];		/* "metadata" ("" when absent) */
	int has_metadata;
	int pid;			/* "pid" */
	unsigned nfds;			/* names in "fds" */
	int seccomp_index;		/* the index of "seccompFd" in "fds" */
};

/* nc_agent_parse_state() results besides 0. */
#define NC_AGENT_MORE 1			/* a valid beginning: more bytes are needed */

/*
 * Parse the @len bytes at @buf as a container process state (a JSON
 * object, then only white space). 0 and @st filled; NC_AGENT_MORE when the
 * bytes are a proper beginning of one; -EPROTO when malformed, with the
 * reason (and where) in @why. Exposed for the unit tests.
 */
int nc_agent_parse_state(const char *buf, size_t len, struct nc_agent_state *st, char *why,
			 size_t why_size);

/*
 * The network a container's state asks for (listenerMetadata
 * "network=NET") into @net, "" when none: 0, or -EPROTO with the reason in
 * @why when it is malformed (a network is a folder's name: no dots).
 */
int nc_agent_state_network(const struct nc_agent_state *st, char *net, size_t net_size, char *why,
			   size_t why_size);

/*
 * The name a container's state gives (see nc_agent_accept) into @name:
 * 0, or -EPROTO with the reason in @why when listenerMetadata is malformed
 * or no valid name can be made.
 */
int nc_agent_state_name(const struct nc_agent_state *st, char *name, size_t name_size, char *why,
			size_t why_size);

#endif

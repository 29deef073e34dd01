/*
 * sock.h - the service's socket table, as the rest of the service sees it:
 * every socket a program holds is one end of a Unix socketpair; the service
 * holds the other end and, once the socket binds, listens or connects, an
 * lwIP PCB. The table (sock.c) joins the two and hands each socket to its
 * protocol (tcp.c, tcp_listen.c); see sock_priv.h for how the files split.
 */
#ifndef NETCON_SOCK_H
#define NETCON_SOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/rpc.h"

/*
 * struct nc_client - what the socket table and the resolver know of the
 * program that asked: who it is, and how to answer it later (a blocking
 * connect, a lookup). The RPC server owns it and fills it in (server.c
 * embeds it first in its connection); nothing here calls up into it.
 */
struct nc_client {
	uid_t uid;			/* SO_PEERCRED */
	pid_t pid;
	/* Send a deferred reply (and @fd if >= 0) to this client. */
	void (*reply)(struct nc_client *c, struct nc_reply *rep, int fd);
};

/* nc_client_reply() - answer @c now for a request whose reply was deferred. */
static inline void nc_client_reply(struct nc_client *c, struct nc_reply *rep, int fd)
{
	c->reply(c, rep, fd);
}

static inline uid_t nc_client_uid(const struct nc_client *c)
{
	return c->uid;
}

static inline pid_t nc_client_pid(const struct nc_client *c)
{
	return c->pid;
}

/*
 * Handle one validated request; fills @rep, and *@fd_out with a descriptor to
 * pass. @in_fd (a non-blocking connect's own descriptor, or -1) is consumed.
 */
void nc_sock_request(struct nc_client *client, const struct nc_request *req, int in_fd,
		     struct nc_reply *rep, int *fd_out, int *deferred);
/* A client went away: forget any blocking connect it waits for. */
void nc_sock_client_gone(struct nc_client *client);
/* A TIME_WAIT PCB is about to be freed: whatever socket holds it lets go (tcp.c). */
struct tcp_pcb;
void nc_sock_pcb_leaving(struct tcp_pcb *pcb);
/* After each batch of events: push received data to programs, free the dead. */
void nc_sock_flush(void);
/* The dirty sockets' part of nc_sock_flush() alone: safe within a batch. */
void nc_sock_deliver(void);
/* Shutting down: reset every connection, close every socket. */
void nc_sock_shutdown_all(void);
/* For the status: sockets in the table, established connections, listeners. */
void nc_sock_counts(uint32_t *sockets, uint32_t *connections, uint32_t *listeners);
/* For the status: UDP datagrams dropped, towards programs (full) and from them (udp.c). */
void nc_udp_drops(uint64_t *in, uint64_t *out);
/* Once at start, before any request: the table, ports, options, protocols. */
void nc_sock_init(void);
/* Local connections' bytes move between their socketpairs directly (tcp_splice.c; --no-shortcut: off). */
void nc_splice_enable(bool on);

#endif

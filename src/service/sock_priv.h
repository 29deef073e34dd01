/*
 * sock_priv.h - what the socket table's files share (private to the service's
 * socket code; server.c and main.c see only sock.h).
 *
 *   sock.c        the protocol-neutral table: ids, possession, SOCKET and
 *                 IDENTIFY, dirty/dead lists, zombies, dispatch to protocols
 *   owner.c       the per-process socket budget
 *   ports.c       local ports, one space per protocol, and bind()
 *   sockopt.c     the SOL_SOCKET / IP / IPV6 option store
 *   tcp.c         TCP connections: data pump, lwIP callbacks, connect
 *   tcp_listen.c  TCP listeners: accept queue, SO_REUSEPORT groups
 *   tcp_opt.c     TCP options (IPPROTO_TCP)
 *
 * A protocol is a struct nc_proto (below): sock.c keeps the socket's
 * identity and hands it every request and event; the protocol keeps its own
 * state in its member of the union in struct nc_sock. To add one: write its
 * file, add its state struct to the union, its nc_proto to sock.c's
 * registry (protos[]), and its port space to ports.h.
 */
#ifndef NETCON_SOCK_PRIV_H
#define NETCON_SOCK_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lwip/ip_addr.h"

#include "sock.h"
#include "loop.h"
#include "ports.h"

struct nc_sock;
struct tcp_pcb;
struct udp_pcb;
struct pbuf;

/* -------------------------------------------------------- protocols -- */

/*
 * struct nc_proto - one transport protocol's side of the socket table. All
 * members but the optional ones must be set.
 */
struct nc_proto {
	const char *name;
	int type;			/* SOCK_STREAM or SOCK_DGRAM */
	int pair_type;			/* the socketpair's type, if not @type (UDP: SOCK_SEQPACKET) */
	uint32_t events;		/* epoll events watched on our end from the start */
	int protocol;			/* IPPROTO_TCP...: SO_PROTOCOL's answer */
	int protocol6;			/* on AF_INET6, if another (IPPROTO_ICMPV6) */
	bool explicit_only;		/* socket(..., 0) never means this one (ICMP) */
	enum nc_port_space ports;	/* which local port space its sockets bind in */
	/* Once, from nc_sock_init() (optional). */
	void (*setup)(void);
	/*
	 * A new socket (@parent: the listener it was accepted on, or NULL):
	 * set the protocol's defaults or inherit them. Runs before the socket
	 * is in the table; must not fail.
	 */
	void (*init)(struct nc_sock *s, const struct nc_sock *parent);
	/*
	 * A validated request naming @s (everything but SOCKET and IDENTIFY,
	 * which sock.c answers). Returns the result (0 or -errno) for the reply.
	 * *@in_fd (a descriptor the request carried, or -1) may be kept by
	 * setting it to -1; sock.c closes it otherwise. *@fd_out: a descriptor
	 * to pass with the reply (closed once sent); *@deferred = 1: no reply
	 * now, nc_client_reply() sends it later.
	 */
	int (*request)(struct nc_client *c, struct nc_sock *s, const struct nc_request *req,
		       int *in_fd, struct nc_reply *rep, int *fd_out, int *deferred);
	/* Our socketpair end is ready (epoll events); @s is not dead. */
	void (*event)(struct nc_sock *s, uint32_t events);
	/* After each batch of events, for every socket nc_sock_mark_dirty() marked. */
	void (*flush)(struct nc_sock *s);
	/*
	 * The socket is over: free the protocol's state (PCB, queues...).
	 * sock.c then closes the descriptors, lets go of the port and frees @s.
	 */
	void (*release)(struct nc_sock *s);
	/* The service stops: end @s abruptly (RST) before it is released (optional). */
	void (*shutdown)(struct nc_sock *s);
	/* Client @c went away: forget whatever of @s waits for it (optional). */
	void (*client_gone)(struct nc_sock *s, struct nc_client *c);
	/* Add the protocol's connections and listeners to the status counts (optional). */
	void (*counts)(uint32_t *connections, uint32_t *listeners);
};

/* The protocols (sock.c's registry lists them). */
extern const struct nc_proto nc_proto_tcp;
extern const struct nc_proto nc_proto_udp;
extern const struct nc_proto nc_proto_icmp;
/* The protocol for SOCKET's @type (no flags), or NULL: EPROTONOSUPPORT. */
const struct nc_proto *nc_proto_for(int domain, int type, int protocol);

/* ----------------------------------------------------------- sockets -- */

enum nc_sock_state {
	SOCK_NEW,
	SOCK_LISTEN,
	SOCK_CONNECTING,
	SOCK_CONNECTED,
	SOCK_FAILED,		/* connect failed or connection reset: so_error says why */
	SOCK_CLOSED,		/* both directions ended; only the identity is left */
};

#define NC_GENERIC_OPTS		32
#define NC_GENERIC_OPT_LEN	32

/* An option we do not act on but keep, so getsockopt returns what was set. */
struct nc_generic_opt {
	int level, name;
	uint32_t len;
	uint8_t value[NC_GENERIC_OPT_LEN];
};

/* Options of any socket (SOL_SOCKET, IPV6_V6ONLY): see sockopt.c. */
struct nc_sock_opts {
	bool reuseaddr, reuseport, keepalive, v6only, linger_on;
	int linger_s;
	int rcvbuf, sndbuf;	/* as getsockopt reports them (doubled, like Linux) */
	int ngeneric;
	struct nc_generic_opt *generic;	/* NC_GENERIC_OPTS slots, allocated on first use */
};

/* TCP's part of a socket (tcp.c, tcp_listen.c). */
struct nc_tcp_sock {
	struct tcp_pcb *pcb;
	/* TCP-level options (the rest are in struct nc_sock_opts). */
	bool nodelay;
	int keepidle, keepintvl, keepcnt;
	bool connect_async;		/* a non-blocking connect not yet confirmed */

	/* Listening: connections ready for accept(), oldest first. */
	struct nc_sock *queue_head, *queue_tail;
	int queued, backlog;
	bool push_timer;		/* listener_push() retries on a timer */
	bool listen_was_shut;		/* a listener stopped by shutdown() or connect(AF_UNSPEC) */
	/*
	 * Listeners sharing one address and port with SO_REUSEPORT share one
	 * lwIP PCB: a ring of them, the PCB held by one, and new connections
	 * dealt round-robin (rr, kept by the holder).
	 */
	struct nc_sock *group_next, *rr;
	/* A connection waiting in a listener's queue. */
	struct nc_sock *listener, *queue_next;

	/* Network to program. */
	/*
	 * Received, not yet written to the program: lwIP's chains linked end to
	 * end by ->next. tot_len is 16-bit and means nothing across them, so
	 * only ->len is used here.
	 */
	struct pbuf *rx, *rx_tail;
	uint32_t rx_off;		/* bytes of rx's first pbuf already written */
	bool rx_fin;			/* the peer sent FIN */
	bool rx_fin_done;		/* ... and the program has been told */
	bool peer_closed_first;		/* the peer's FIN came before ours */
	/* Program to network. */
	/*
	 * The send ring of a bulk connection (tcp.c): what tx_pull() read from
	 * the program, which lwIP's segments reference until acknowledged.
	 * Byte seq of the stream is at ring[(seq - ring_base) % size].
	 */
	uint8_t *ring;
	uint32_t ring_base;
	bool ring_clean;		/* no segment from before the ring is left */
	uint64_t tx_copied;		/* bytes given to lwIP by copy */
	bool tx_eof;			/* the program will send no more */
	bool tx_fin_done;		/* FIN queued in lwIP */
	bool app_gone;			/* the program's last reference is closed */
	bool reset_on_close;		/* ... with data it never read: RST, as the kernel */
	bool app_rd_shut;		/* the program shut its reading side (its end's HUP is no close) */
	bool app_wr_shut;		/* ... its writing side, through shutdown() (libnetcon told us) */
	ip_addr_t last_local_ip;	/* the connection's local address, kept after it ends */
	bool addr_from_connect;		/* ... chosen by connect(), not bind() */
	bool was_connected;		/* FAILED after being connected: connect() says EISCONN */
	uint64_t connect_ms;		/* when connect() started (neighbour give-up) */
	uint32_t filler;		/* connect filler still to read away */
	uint16_t wire_mss;		/* the agreed MSS where lwIP's was raised for TSO (else 0) */
	/* The shortcut to a connection of this service (tcp_splice.c). */
	struct nc_sock *sp_to;		/* our program's bytes go straight to this one's */
	struct nc_sock *sp_from;	/* ... and this one's come straight to ours */
	uint8_t *sp_buf;		/* read from our program, not yet taken by sp_to's */
	uint32_t sp_len, sp_off;
	uint8_t sp_tries;		/* lookups of a local peer so far */
	bool shrunk;			/* the program's end's send buffer is still the filler's */

	/* A blocking connect() waiting for its reply. */
	struct nc_client *waiter;
	uint32_t waiter_seq;
	int waiter_spare_fd;		/* a spare socket for the reply, if spare_id */
	uint64_t waiter_spare_id;
};

/* UDP's part of a socket (udp.c). */
struct nc_udp_sock {
	struct udp_pcb *pcb;
	bool broadcast;			/* SO_BROADCAST */
	bool mcast_loop;		/* IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP */
	bool tx_shut;			/* the program shut its writing side */
	bool rx_shut;			/* ... or its reading side: drop what arrives */
	bool error_queued;		/* an ICMP error waits in the program's queue */
	bool tclass_set;
	uint8_t report;			/* IP_PKTINFO... asked for (NC_DGRAM_* bits) */
	uint8_t tos;			/* IP_TOS / IPV6_TCLASS */
	int ttl, hops;			/* IP_TTL, IPV6_UNICAST_HOPS; -1: the default */
	int mcast_ttl;
	int mcast_if6;
	ip4_addr_t mcast_if;
	struct nc_udp_group { ip_addr_t group, ifaddr; } *groups;
	int ngroups;
	uint64_t drops_in, drops_out;
};

/* ICMP echo's part of a socket (icmp.c); its identifier is s->local_port. */
struct nc_icmp_sock {
	struct nc_sock *next;		/* the next socket holding the same identifier */
	bool holds;			/* on icmp.c's identifier table */
	bool addr_from_connect;		/* local_ip was set by connect() (AF_UNSPEC undoes it) */
	bool tx_shut;			/* the program shut its writing side */
	bool broadcast;			/* SO_BROADCAST */
	uint8_t report;			/* IP_RECVTTL... asked for (NC_DGRAM_* bits) */
	uint8_t tos;			/* IP_TOS / IPV6_TCLASS */
	int ttl;			/* IP_TTL / IPV6_UNICAST_HOPS; -1: the default */
	uint64_t drops_in, drops_out;
};

struct nc_sock {
	/* Identity and table (sock.c). */
	uint64_t id;			/* inode of the program's end */
	uid_t uid;			/* who made it: SO_REUSEPORT groups need one uid */
	pid_t owner;			/* the process charged for it (owner.c) */
	int fd;				/* our end of the socketpair, -1 once closed */
	int app_fd;			/* the program's end while we still hold it */
	struct nc_loop_handler h;
	int domain;			/* AF_INET or AF_INET6 */
	int type;			/* SOCK_STREAM or SOCK_DGRAM (= proto->type) */
	const struct nc_proto *proto;
	enum nc_sock_state state;
	struct nc_sock_opts opts;	/* sockopt.c */
	int so_error;

	/* Addresses (ports.c binds; the protocol connects). */
	bool bound;
	bool autobound;			/* bound by connect(), not by the program */
	ip_addr_t local_ip;
	uint16_t local_port;
	bool have_remote;
	ip_addr_t remote_ip;
	uint16_t remote_port;

	/* Lists. */
	uint64_t zombie_until;		/* a retired socket's identity expires then */
	struct nc_sock *hnext;		/* table chain */
	struct nc_sock *bnext;		/* port chain (ports.c) */
	struct nc_sock *dnext;		/* dirty list */
	struct nc_sock *dead_next;	/* dead list: a dead socket may still be on the dirty one */
	bool dirty, dead;

	/* The protocol's own state: only the member of s->proto is valid. */
	union {
		struct nc_tcp_sock tcp;
		struct nc_udp_sock udp;
		struct nc_icmp_sock icmp;
	};
};

/* sock.c */
struct nc_sock *nc_sock_new(const struct nc_proto *proto, int domain,
			    const struct nc_sock *parent, uid_t uid, pid_t owner);
void nc_sock_release(struct nc_sock *s);
struct nc_sock *nc_sock_find(uint64_t id);
void nc_sock_zombify(struct nc_sock *s);
void nc_sock_mark_dirty(struct nc_sock *s);
void nc_sock_grow_buffers(int fd);
int nc_sock_name(const struct nc_sock *s, bool peer, const ip_addr_t *local_now,
		 struct nc_reply *rep);
const char *nc_sock_state_name(enum nc_sock_state state);

/* owner.c */
void nc_owner_init(void);
bool nc_owner_charge(pid_t pid);
void nc_owner_release(pid_t pid);

/* sockopt.c */
void nc_sockopt_init(void);
void nc_sockopt_defaults(struct nc_sock *s);
int nc_sockopt_set(struct nc_sock *s, const struct nc_request *req);
int nc_sockopt_get(struct nc_sock *s, const struct nc_request *req, struct nc_reply *rep);
int nc_sockopt_int(const struct nc_request *req, int *v);
int nc_sockopt_int_reply(struct nc_reply *rep, int v);
struct nc_generic_opt *nc_sockopt_find(struct nc_sock *s, int level, int name);
int nc_sockopt_store(struct nc_sock *s, const struct nc_request *req);
int nc_sockopt_stored(struct nc_sock *s, int level, int name, bool known, struct nc_reply *rep);

/* ------------------------------------------- TCP: tcp.c <-> tcp_listen.c -- */

/* Connections and listeners now, for the status (tcp.c). */
extern struct nc_tcp_counts { uint32_t conns, listeners; } nc_tcp_counts;

/* tcp.c */
void nc_tcp_set_state(struct nc_sock *s, enum nc_sock_state to);
void nc_tcp_update_events(struct nc_sock *s);
/* tcp.c: the other end of @s's connection if it is a socket of this service. */
struct nc_sock *nc_tcp_local_peer(const struct nc_sock *s);
bool nc_tcp_remote_local(const struct nc_sock *s);
/* tcp_splice.c: the shortcut between two connections of this service. */
enum nc_splice { NC_SPLICE_OFF, NC_SPLICE_MORE, NC_SPLICE_EOF };
enum nc_splice nc_splice_pull(struct nc_sock *s, const uint8_t **fallback, size_t *fallback_len);
void nc_splice_flush(struct nc_sock *t);
bool nc_splice_pending(const struct nc_sock *t);
bool nc_splice_blocked(const struct nc_sock *s);
void nc_splice_release(struct nc_sock *s);
void nc_tcp_set_callbacks(struct nc_sock *s);
void nc_tcp_apply_opts(struct nc_sock *s);
void nc_tcp_pcb_abort(struct nc_sock *s);
void nc_tcp_pcb_close(struct nc_sock *s);

/* tcp_opt.c */
int nc_tcp_setsockopt(struct nc_sock *s, const struct nc_request *req);
int nc_tcp_getsockopt(struct nc_sock *s, const struct nc_request *req, struct nc_reply *rep);

/* tcp_listen.c */
void nc_tcp_listen_setup(void);
/* LISTEN; @app_fd: the program's end the request carried (made unwritable). */
int nc_tcp_listen(struct nc_sock *s, const struct nc_request *req, int app_fd);
/* Make a program's end unwritable (see tcp.c); returns the filler written. */
uint32_t nc_tcp_fill_unwritable(int app_fd);
bool nc_tcp_lent_fd(const struct nc_sock *s, int fd);
void nc_tcp_listener_push(struct nc_sock *l);
void nc_tcp_listen_release(struct nc_sock *l);
int nc_tcp_listen_shutdown(struct nc_sock *l, int app_fd);
void nc_tcp_listen_unqueue(struct nc_sock *c);

#endif

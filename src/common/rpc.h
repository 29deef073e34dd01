/*
 * rpc.h - the control protocol between libnetcon (the intercept) and
 * netcon-service.
 *
 * Control never travels inside a connection's data stream: each process
 * thread holds its own SOCK_SEQPACKET connection to the service's socket and
 * sends one fixed-size request per call, answered by one fixed-size reply.
 * Socket descriptors (a new socket's end) ride on the reply as SCM_RIGHTS;
 * accepted connections arrive on the listening socket itself (struct
 * nc_accept_record). A socket is named by the inode of the program's
 * end of its socketpair, which stays the same across dup, fork, exec and
 * SCM_RIGHTS, so any process holding the descriptor can name it.
 *
 * Possession: every request that names a socket (all but SOCKET, STATUS,
 * NEWCONN, RESOLVE, RESOLVE_ADDR and PORTS) carries that socket's own descriptor as SCM_RIGHTS, and the
 * service acts only if the descriptor is the socket named (fstat: sockfs
 * device and inode); otherwise the reply is -EBADF, as the kernel answers a
 * process operating a descriptor it does not hold. Inodes are sequential and
 * guessable; descriptors cannot be forged. A message with more than one
 * descriptor, or one on a request that names no socket, is malformed.
 *
 * Every message is validated by nc_rpc_check_request()/nc_rpc_check_reply()
 * before any field is used: size, magic, version, operation and lengths.
 */
#ifndef NETCON_RPC_H
#define NETCON_RPC_H

#include <stddef.h>
#include <stdint.h>

#define NC_RPC_MAGIC	0x4e43u		/* "NC" */
#define NC_RPC_VERSION	3u
#define NC_ADDR_MAX	28u		/* sizeof(struct sockaddr_in6) */
#define NC_OPT_MAX	256u		/* largest option value carried (tcp_info fits) */

enum nc_op {
	NC_OP_SOCKET = 1,	/* arg0 domain, arg1 type (no flags); reply: fd, sock */
	NC_OP_BIND,		/* addr; arg0 NC_BIND_AUTO: bind as a send would (the
				 * wildcard, an ephemeral port) unless bound already */
	NC_OP_LISTEN,		/* arg0 backlog */
	NC_OP_CONNECT,		/* addr, arg0 1 if non-blocking (the service keeps the
				 * descriptor until the outcome), arg2 1 to get a spare
				 * socket; reply: fd = the spare (arg2 1, opt = its sock) */
	NC_OP_GETSOCKNAME,	/* reply: addr */
	NC_OP_GETPEERNAME,	/* reply: addr */
	NC_OP_GETSOCKOPT,	/* arg0 level, arg1 name, arg2 length asked; reply: opt */
	NC_OP_SETSOCKOPT,	/* arg0 level, arg1 name, opt */
	NC_OP_SHUTDOWN,		/* arg0 how */
	NC_OP_IDENTIFY,		/* reply: arg0 domain, arg1 type, arg2 NC_STREAM_* (stream)
				 * or 1 if connected (datagram) */
	NC_OP_STATUS,		/* reply: opt holds struct nc_status */
	NC_OP_EOF,		/* the program read end-of-file: result -ECONNRESET once after a reset */
	NC_OP_NEWCONN,		/* reply: fd, a new RPC connection with the asker's credentials */
	NC_OP_RESOLVE,		/* opt: a name (NUL-terminated), arg0 family (AF_UNSPEC, AF_INET,
				 * AF_INET6); reply: opt holds struct nc_resolve_answer */
	NC_OP_RESOLVE_ADDR,	/* addr: an address (port ignored); reply: opt a name, NUL-terminated */
	NC_OP_PORTS,		/* published ports: arg0 NC_PORTS_*; PUBLISH/UNPUBLISH: opt a
				 * SPEC (NUL-terminated); LIST: arg1 an index, reply: result
				 * the number published, opt the index'th as a SPEC ("" past
				 * the end). Publishing is for the service's own uid (or root) */
	NC_OP_MAX_
};

#define NC_BIND_AUTO	1

#define NC_PORTS_LIST		0
#define NC_PORTS_PUBLISH	1
#define NC_PORTS_UNPUBLISH	2

/* IDENTIFY's arg2 for a stream socket: what data calls on it may do. */
#define NC_STREAM_IDLE		0	/* never connected (fresh or bound): ENOTCONN, EPIPE */
#define NC_STREAM_LISTENING	1
#define NC_STREAM_CONNECTED	2	/* connecting, connected, or over */

/* A request. sock is 0 for SOCKET, STATUS, NEWCONN, RESOLVE, RESOLVE_ADDR and PORTS. */
struct nc_request {
	uint16_t magic;
	uint8_t version;
	uint8_t op;
	uint32_t seq;
	uint64_t sock;
	int32_t arg[3];
	uint32_t addrlen;
	uint8_t addr[NC_ADDR_MAX];
	uint32_t optlen;
	uint8_t opt[NC_OPT_MAX];
};

/* A reply. result is >= 0 on success, or a negative errno. */
struct nc_reply {
	uint16_t magic;
	uint8_t version;
	uint8_t op;
	uint32_t seq;
	int32_t result;
	int32_t arg[3];
	uint64_t sock;
	uint32_t addrlen;
	uint8_t addr[NC_ADDR_MAX];
	uint32_t addr2len;
	uint8_t addr2[NC_ADDR_MAX];
	uint32_t optlen;
	uint8_t opt[NC_OPT_MAX];
};

/* What `netcon-service status` shows; carried in the reply's opt. */
struct nc_status {
	char link[96];		/* the link URL in use */
	uint8_t mac[6];
	uint8_t switch_host;	/* 1 if this service hosts the local switch */
	uint8_t pad;
	uint32_t ip4;		/* network order */
	uint8_t ip4_prefix;
	uint8_t ip6_prefix;
	uint16_t mtu;
	uint8_t ip6[16];
	uint32_t sockets;
	uint32_t connections;
	uint32_t listeners;
	uint32_t clients;
	uint64_t bytes_in;	/* from the network to programs */
	uint64_t bytes_out;
	uint64_t frames_in;
	uint64_t frames_out;
	uint32_t pid;
	uint32_t uptime_s;
	uint64_t udp_dropped_in;	/* datagrams for a program whose socket was full */
	uint64_t udp_dropped_out;	/* programs' datagrams that could not be sent */
	uint32_t gw_ip4;		/* the gateway (network order), 0 if none */
	uint8_t gw_flags;		/* NC_STATUS_GW_* */
	uint8_t pad2;
	uint16_t gw_ports;		/* published ports (each family counts) */
	uint64_t gw_frames_in, gw_frames_out;
	uint32_t uplink_pid;		/* the netcon-uplink this service runs, 0 if none */
	char uplink[28];		/* the local switch's uplink as known here (cut short) */
};

#define NC_STATUS_GW_NAT		1
#define NC_STATUS_GW_HOST_LOOPBACK	2

_Static_assert(sizeof(struct nc_status) <= NC_OPT_MAX, "status fits a reply");

/*
 * What RESOLVE answers, in the reply's opt. result is 0 with at least one
 * address, -ENOENT when the name exists nowhere (NXDOMAIN), -ENODATA when it
 * exists without an address of the family asked, -EAGAIN when no server
 * answered in time (a temporary failure).
 */
#define NC_RESOLVE_MAX4	8
#define NC_RESOLVE_MAX6	8
struct nc_resolve_answer {
	uint8_t n4, n6;			/* addresses below, in the order given */
	uint8_t pad[2];
	uint32_t ttl;			/* seconds the answer may be kept */
	uint8_t ip4[NC_RESOLVE_MAX4][4];
	uint8_t ip6[NC_RESOLVE_MAX6][16];
	char canon[64];			/* canonical name, NUL-terminated ("" if none) */
};

_Static_assert(sizeof(struct nc_resolve_answer) <= NC_OPT_MAX, "an answer fits a reply");

/*
 * An accepted connection. The service pushes one record per connection on
 * the listening socket's own stream, the connection's descriptor attached
 * (SCM_RIGHTS), so accept() is one recvmsg() with no round trip. A reader
 * asking for exactly one record gets one record and its descriptor: the
 * kernel never joins a message carrying descriptors to the next, and
 * serialises readers, so processes sharing a listener get whole connections.
 */
struct nc_accept_record {
	uint16_t magic;
	uint8_t version;
	uint8_t pad;
	uint32_t addrlen;		/* the peer's address */
	uint64_t sock;			/* the new connection */
	uint8_t addr[NC_ADDR_MAX];
	uint32_t pad2;
};

void nc_rpc_init_request(struct nc_request *req, enum nc_op op, uint64_t sock);
void nc_rpc_init_accept(struct nc_accept_record *rec, uint64_t sock);
int nc_rpc_check_accept(const void *buf, size_t len, const char **why);
void nc_rpc_init_reply(struct nc_reply *rep, const struct nc_request *req);
int nc_rpc_check_request(const void *buf, size_t len, const char **why);
int nc_rpc_check_reply(const void *buf, size_t len, const struct nc_request *req,
		       const char **why);
const char *nc_rpc_op_name(unsigned op);
/* Does @op name a socket (and so carry that socket's descriptor)? */
int nc_rpc_op_names_socket(unsigned op);

#endif

/*
 * rpc.c - building and validating netcon's control messages (see rpc.h).
 */
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "rpc.h"

static const char *const op_names[NC_OP_MAX_] = {
	[NC_OP_SOCKET] = "socket",
	[NC_OP_BIND] = "bind",
	[NC_OP_LISTEN] = "listen",
	[NC_OP_CONNECT] = "connect",
	[NC_OP_GETSOCKNAME] = "getsockname",
	[NC_OP_GETPEERNAME] = "getpeername",
	[NC_OP_GETSOCKOPT] = "getsockopt",
	[NC_OP_SETSOCKOPT] = "setsockopt",
	[NC_OP_SHUTDOWN] = "shutdown",
	[NC_OP_IDENTIFY] = "identify",
	[NC_OP_STATUS] = "status",
	[NC_OP_EOF] = "eof",
	[NC_OP_NEWCONN] = "newconn",
	[NC_OP_RESOLVE] = "resolve",
	[NC_OP_RESOLVE_ADDR] = "resolve_addr",
	[NC_OP_PORTS] = "ports",
};

/* nc_rpc_op_name() - a printable name for an operation code, even a bad one. */
const char *nc_rpc_op_name(unsigned op)
{
	if (op > 0 && op < NC_OP_MAX_)
		return op_names[op];
	return "invalid";
}

/* nc_rpc_op_names_socket() - every operation but these acts on one socket. */
int nc_rpc_op_names_socket(unsigned op)
{
	return op != NC_OP_SOCKET && op != NC_OP_STATUS && op != NC_OP_NEWCONN &&
	       op != NC_OP_RESOLVE && op != NC_OP_RESOLVE_ADDR && op != NC_OP_PORTS;
}

/* nc_rpc_init_request() - a zeroed request for @op on socket @sock. */
void nc_rpc_init_request(struct nc_request *req, enum nc_op op, uint64_t sock)
{
	memset(req, 0, sizeof(*req));
	req->magic = NC_RPC_MAGIC;
	req->version = NC_RPC_VERSION;
	req->op = (uint8_t)op;
	req->sock = sock;
}

/* nc_rpc_init_accept() - a zeroed accept record for connection @sock. */
void nc_rpc_init_accept(struct nc_accept_record *rec, uint64_t sock)
{
	memset(rec, 0, sizeof(*rec));
	rec->magic = NC_RPC_MAGIC;
	rec->version = NC_RPC_VERSION;
	rec->sock = sock;
}

/* nc_rpc_init_reply() - a zeroed reply answering @req. */
void nc_rpc_init_reply(struct nc_reply *rep, const struct nc_request *req)
{
	memset(rep, 0, sizeof(*rep));
	rep->magic = NC_RPC_MAGIC;
	rep->version = NC_RPC_VERSION;
	rep->op = req->op;
	rep->seq = req->seq;
}

/*
 * check_addr() - an address field is either empty, a whole sockaddr_in or
 * sockaddr_in6 whose family matches its length, or AF_UNSPEC alone.
 */
static int check_addr(const uint8_t *addr, uint32_t len)
{
	sa_family_t family;

	if (len == 0)
		return 0;
	if (len > NC_ADDR_MAX || len < sizeof(sa_family_t))
		return -1;
	memcpy(&family, addr, sizeof(family));
	if (family == AF_UNSPEC && len == sizeof(sa_family_t))
		return 0;	/* connect(AF_UNSPEC): dissolve an association */
	if (family == AF_INET && len == sizeof(struct sockaddr_in))
		return 0;
	if (family == AF_INET6 && len == sizeof(struct sockaddr_in6))
		return 0;
	return -1;
}

/*
 * nc_rpc_check_request() - validate a request as received, before any field
 * is trusted. Returns 0, or -1 with @why saying what is wrong.
 */
int nc_rpc_check_request(const void *buf, size_t len, const char **why)
{
	const struct nc_request *req = buf;

	if (len != sizeof(*req)) {
		*why = "wrong message size";
		return -1;
	}
	if (req->magic != NC_RPC_MAGIC) {
		*why = "bad magic";
		return -1;
	}
	if (req->version != NC_RPC_VERSION) {
		*why = "unsupported protocol version";
		return -1;
	}
	if (req->op == 0 || req->op >= NC_OP_MAX_) {
		*why = "unknown operation";
		return -1;
	}
	if (req->optlen > NC_OPT_MAX) {
		*why = "option value too long";
		return -1;
	}
	if (check_addr(req->addr, req->addrlen)) {
		*why = "malformed address";
		return -1;
	}
	switch (req->op) {
	case NC_OP_BIND:
	case NC_OP_CONNECT:
		if (req->addrlen == 0) {
			*why = "address missing";
			return -1;
		}
		if (req->sock == 0) {
			*why = "socket missing";
			return -1;
		}
		if (req->op == NC_OP_CONNECT && (req->arg[2] & ~1)) {
			*why = "bad spare request";
			return -1;
		}
		break;
	case NC_OP_RESOLVE:
		if (req->optlen < 2 || req->opt[req->optlen - 1] != '\0' ||
		    memchr(req->opt, '\0', req->optlen) != req->opt + req->optlen - 1) {
			*why = "malformed name";
			return -1;
		}
		if (req->arg[0] != AF_UNSPEC && req->arg[0] != AF_INET && req->arg[0] != AF_INET6) {
			*why = "bad family";
			return -1;
		}
		/* fall through */
	case NC_OP_RESOLVE_ADDR:
		if (req->op == NC_OP_RESOLVE_ADDR && req->addrlen == 0) {
			*why = "address missing";
			return -1;
		}
		/* fall through */
	case NC_OP_PORTS:
		if (req->op == NC_OP_PORTS) {
			if (req->arg[0] < NC_PORTS_LIST || req->arg[0] > NC_PORTS_UNPUBLISH) {
				*why = "bad ports action";
				return -1;
			}
			if (req->arg[0] != NC_PORTS_LIST &&
			    (req->optlen < 2 || req->opt[req->optlen - 1] != '\0' ||
			     memchr(req->opt, '\0', req->optlen) != req->opt + req->optlen - 1)) {
				*why = "malformed port spec";
				return -1;
			}
		}
		/* fall through */
	case NC_OP_SOCKET:
	case NC_OP_STATUS:
	case NC_OP_NEWCONN:
		if (req->sock != 0) {
			*why = "unexpected socket";
			return -1;
		}
		break;
	default:
		if (req->sock == 0) {
			*why = "socket missing";
			return -1;
		}
	}
	if (req->op != NC_OP_SETSOCKOPT && req->op != NC_OP_RESOLVE &&
	    (req->op != NC_OP_PORTS || req->arg[0] == NC_PORTS_LIST) && req->optlen != 0) {
		*why = "unexpected option value";
		return -1;
	}
	return 0;
}

/*
 * nc_rpc_check_reply() - validate a reply against the request it answers.
 * Returns 0, or -1 with @why saying what is wrong.
 */
int nc_rpc_check_reply(const void *buf, size_t len, const struct nc_request *req,
		       const char **why)
{
	const struct nc_reply *rep = buf;

	if (len != sizeof(*rep)) {
		*why = "wrong message size";
		return -1;
	}
	if (rep->magic != NC_RPC_MAGIC || rep->version != NC_RPC_VERSION) {
		*why = "bad magic or version";
		return -1;
	}
	if (rep->op != req->op || rep->seq != req->seq) {
		*why = "reply does not match the request";
		return -1;
	}
	if (rep->result < -4095) {
		*why = "result out of range";
		return -1;
	}
	if (rep->optlen > NC_OPT_MAX) {
		*why = "option value too long";
		return -1;
	}
	if (check_addr(rep->addr, rep->addrlen) || check_addr(rep->addr2, rep->addr2len)) {
		*why = "malformed address";
		return -1;
	}
	return 0;
}

/*
 * nc_rpc_check_accept() - validate an accept record read from a listening
 * socket. Returns 0, or -1 with @why saying what is wrong.
 */
int nc_rpc_check_accept(const void *buf, size_t len, const char **why)
{
	const struct nc_accept_record *rec = buf;

	if (len != sizeof(*rec)) {
		*why = "wrong record size";
		return -1;
	}
	if (rec->magic != NC_RPC_MAGIC || rec->version != NC_RPC_VERSION) {
		*why = "bad magic or version";
		return -1;
	}
	if (rec->sock == 0) {
		*why = "socket missing";
		return -1;
	}
	if (rec->addrlen == 0 || check_addr(rec->addr, rec->addrlen)) {
		*why = "malformed address";
		return -1;
	}
	return 0;
}

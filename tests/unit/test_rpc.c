/*
 * test_rpc.c - unit tests for the control protocol's validation (rpc.c):
 * every well-formed request and reply passes, every malformed one is refused
 * with a reason, and random bytes never crash the checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/rpc.h"

#define SOCK_ID 0x1234567890ull
#define FUZZ_ROUNDS 100000

/* needs_sock() - whether an operation names an existing socket. */
static int needs_sock(unsigned op)
{
	return op != NC_OP_SOCKET && op != NC_OP_STATUS && op != NC_OP_NEWCONN &&
	       op != NC_OP_RESOLVE && op != NC_OP_RESOLVE_ADDR && op != NC_OP_PORTS;
}

/* put_sin() - an IPv4 sockaddr (198.18.0.5) into an address field; returns its length. */
static uint32_t put_sin(uint8_t *field, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	sin.sin_addr.s_addr = htonl(0xc6120005);	/* 198.18.0.5 */
	memcpy(field, &sin, sizeof(sin));
	return sizeof(sin);
}

/* put_sin6() - an IPv6 sockaddr (fd00:6e63::5) into an address field. */
static uint32_t put_sin6(uint8_t *field, uint16_t port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	sin6.sin6_addr.s6_addr[0] = 0xfd;
	sin6.sin6_addr.s6_addr[2] = 0x6e;
	sin6.sin6_addr.s6_addr[3] = 0x63;
	sin6.sin6_addr.s6_addr[15] = 5;
	memcpy(field, &sin6, sizeof(sin6));
	return sizeof(sin6);
}

/* valid_request() - a well-formed request for @op, as libnetcon would send it. */
static void valid_request(struct nc_request *req, unsigned op)
{
	nc_rpc_init_request(req, (enum nc_op)op, needs_sock(op) ? SOCK_ID : 0);
	req->seq = 42;
	switch (op) {
	case NC_OP_SOCKET:
		req->arg[0] = AF_INET;
		req->arg[1] = SOCK_STREAM;
		break;
	case NC_OP_BIND:
	case NC_OP_CONNECT:
		req->addrlen = put_sin(req->addr, 7777);
		break;
	case NC_OP_LISTEN:
		req->arg[0] = 128;
		break;
	case NC_OP_SETSOCKOPT:
		req->arg[0] = IPPROTO_TCP;
		req->arg[1] = 1;
		req->optlen = sizeof(int);
		memset(req->opt, 1, sizeof(int));
		break;
	case NC_OP_RESOLVE:
		req->arg[0] = AF_UNSPEC;
		memcpy(req->opt, "web", 4);
		req->optlen = 4;
		break;
	case NC_OP_RESOLVE_ADDR:
		req->addrlen = put_sin(req->addr, 0);
		break;
	case NC_OP_PORTS:
		req->arg[0] = NC_PORTS_PUBLISH;
		memcpy(req->opt, "8080:80", 8);
		req->optlen = 8;
		break;
	default:
		break;
	}
}

/* expect_bad_request() - @req (of @len bytes) is refused, naming @reason. */
static void expect_bad_request(const void *req, size_t len, const char *reason, const char *what)
{
	const char *why = NULL;

	if (nc_rpc_check_request(req, len, &why) != -1)
		fail_msg("accepted malformed request: %s", what);
	if (!why || !strstr(why, reason))
		fail_msg("%s: reason '%s', expected '%s'", what, why ? why : "(none)", reason);
}

/* expect_good_request() - @req passes the check. */
static void expect_good_request(const struct nc_request *req, const char *what)
{
	const char *why = NULL;

	if (nc_rpc_check_request(req, sizeof(*req), &why) != 0)
		fail_msg("refused good request %s: %s", what, why ? why : "(no reason)");
}

/* A well-formed request of every operation passes, with either address family. */
static void test_request_valid(void **state)
{
	struct nc_request req;
	unsigned op;

	for (op = 1; op < NC_OP_MAX_; op++) {
		valid_request(&req, op);
		expect_good_request(&req, nc_rpc_op_name(op));
		assert_int_equal(req.magic, NC_RPC_MAGIC);
		assert_int_equal(req.version, NC_RPC_VERSION);
		assert_int_equal(req.op, op);
	}
	valid_request(&req, NC_OP_CONNECT);
	req.addrlen = put_sin6(req.addr, 80);
	expect_good_request(&req, "connect AF_INET6");
	valid_request(&req, NC_OP_BIND);
	req.addrlen = put_sin6(req.addr, 0);
	expect_good_request(&req, "bind AF_INET6");
	valid_request(&req, NC_OP_SETSOCKOPT);
	req.optlen = NC_OPT_MAX;
	expect_good_request(&req, "setsockopt with the largest option");
	valid_request(&req, NC_OP_SETSOCKOPT);
	req.optlen = 0;
	expect_good_request(&req, "setsockopt with an empty option");
}

/* Wrong sizes, magic, version and operation codes are refused. */
static void test_request_header(void **state)
{
	/* Room for the longest message tried, so only the length is wrong. */
	union {
		struct nc_request req;
		uint8_t bytes[sizeof(struct nc_request) * 2];
	} u;
	const unsigned bad_ops[] = { 0, NC_OP_MAX_, NC_OP_MAX_ + 1, 255 };
	size_t i;

	memset(&u, 0, sizeof(u));
	valid_request(&u.req, NC_OP_LISTEN);
	expect_bad_request(&u, 0, "size", "empty");
	expect_bad_request(&u, 1, "size", "one byte");
	expect_bad_request(&u, sizeof(u.req) - 1, "size", "one byte short");
	expect_bad_request(&u, sizeof(u.req) + 1, "size", "one byte long");
	expect_bad_request(&u, sizeof(struct nc_reply), "size", "a reply's size");
	expect_bad_request(&u, sizeof(u.bytes), "size", "twice the size");

	valid_request(&u.req, NC_OP_LISTEN);
	u.req.magic = 0x434e;
	expect_bad_request(&u.req, sizeof(u.req), "magic", "byte-swapped magic");
	u.req.magic = 0;
	expect_bad_request(&u.req, sizeof(u.req), "magic", "zero magic");

	valid_request(&u.req, NC_OP_LISTEN);
	u.req.version = NC_RPC_VERSION + 1;
	expect_bad_request(&u.req, sizeof(u.req), "version", "future version");
	u.req.version = 0;
	expect_bad_request(&u.req, sizeof(u.req), "version", "version 0");

	for (i = 0; i < sizeof(bad_ops) / sizeof(bad_ops[0]); i++) {
		valid_request(&u.req, NC_OP_LISTEN);
		u.req.op = (uint8_t)bad_ops[i];
		expect_bad_request(&u.req, sizeof(u.req), "operation", "bad op");
	}
}

/* Option and address lengths beyond their fields are refused. */
static void test_request_lengths(void **state)
{
	const uint32_t bad_optlen[] = { NC_OPT_MAX + 1, 0x10000, 0x80000000u, UINT32_MAX };
	const uint32_t bad_addrlen[] = { NC_ADDR_MAX + 1, 0x10000, 0x80000000u, UINT32_MAX };
	struct nc_request req;
	size_t i;

	for (i = 0; i < sizeof(bad_optlen) / sizeof(bad_optlen[0]); i++) {
		valid_request(&req, NC_OP_SETSOCKOPT);
		req.optlen = bad_optlen[i];
		expect_bad_request(&req, sizeof(req), "option", "optlen too long");
	}
	for (i = 0; i < sizeof(bad_addrlen) / sizeof(bad_addrlen[0]); i++) {
		valid_request(&req, NC_OP_CONNECT);
		req.addrlen = bad_addrlen[i];
		expect_bad_request(&req, sizeof(req), "address", "addrlen too long");
		valid_request(&req, NC_OP_LISTEN);
		req.addrlen = bad_addrlen[i];
		expect_bad_request(&req, sizeof(req), "address", "addrlen too long on listen");
	}
}

/* An address's family must match its length exactly; only inet families. */
static void test_request_families(void **state)
{
	struct nc_request req;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	sa_family_t fam;

	valid_request(&req, NC_OP_CONNECT);
	put_sin(req.addr, 80);
	req.addrlen = sizeof(struct sockaddr_in6);
	expect_bad_request(&req, sizeof(req), "address", "AF_INET with 28 bytes");
	req.addrlen = sizeof(struct sockaddr_in) - 1;
	expect_bad_request(&req, sizeof(req), "address", "AF_INET with 15 bytes");
	req.addrlen = 1;
	expect_bad_request(&req, sizeof(req), "address", "one byte of address");

	valid_request(&req, NC_OP_CONNECT);
	put_sin6(req.addr, 80);
	req.addrlen = sizeof(struct sockaddr_in);
	expect_bad_request(&req, sizeof(req), "address", "AF_INET6 with 16 bytes");
	req.addrlen = 24;	/* the RFC 2133 sockaddr_in6, without scope id */
	expect_bad_request(&req, sizeof(req), "address", "AF_INET6 with 24 bytes");

	valid_request(&req, NC_OP_BIND);
	memcpy(req.addr, &sun, NC_ADDR_MAX);
	req.addrlen = sizeof(struct sockaddr_in);
	expect_bad_request(&req, sizeof(req), "address", "AF_UNIX, 16 bytes");
	req.addrlen = NC_ADDR_MAX;
	expect_bad_request(&req, sizeof(req), "address", "AF_UNIX, 28 bytes");

	valid_request(&req, NC_OP_BIND);
	fam = AF_UNSPEC;
	memcpy(req.addr, &fam, sizeof(fam));
	expect_bad_request(&req, sizeof(req), "address", "AF_UNSPEC, 16 bytes");
	/* AF_UNSPEC alone is connect(AF_UNSPEC): well-formed; the socket decides */
	valid_request(&req, NC_OP_CONNECT);
	memcpy(req.addr, &fam, sizeof(fam));
	req.addrlen = sizeof(fam);
	expect_good_request(&req, "connect AF_UNSPEC");
	req.addrlen = 3;
	expect_bad_request(&req, sizeof(req), "address", "AF_UNSPEC, 3 bytes");
}

/* Each operation's own rules: addresses, socket ids and option values. */
static void test_request_per_op(void **state)
{
	struct nc_request req;
	unsigned op;

	valid_request(&req, NC_OP_BIND);
	req.addrlen = 0;
	expect_bad_request(&req, sizeof(req), "address missing", "bind without address");
	valid_request(&req, NC_OP_CONNECT);
	req.addrlen = 0;
	expect_bad_request(&req, sizeof(req), "address missing", "connect without address");
	valid_request(&req, NC_OP_PORTS);
	req.arg[0] = 7;
	expect_bad_request(&req, sizeof(req), "bad ports action", "ports with action 7");
	valid_request(&req, NC_OP_PORTS);
	req.opt[req.optlen - 1] = 'x';
	expect_bad_request(&req, sizeof(req), "malformed port spec", "unterminated port spec");
	valid_request(&req, NC_OP_PORTS);
	req.arg[0] = NC_PORTS_LIST;
	expect_bad_request(&req, sizeof(req), "unexpected option value", "ports list with a spec");
	req.optlen = 0;
	expect_good_request(&req, "ports list");

	for (op = 1; op < NC_OP_MAX_; op++) {
		char what[64];

		valid_request(&req, op);
		if (needs_sock(op)) {
			req.sock = 0;
			snprintf(what, sizeof(what), "%s without a socket id", nc_rpc_op_name(op));
			expect_bad_request(&req, sizeof(req), "socket missing", what);
		} else {
			req.sock = 1;
			snprintf(what, sizeof(what), "%s with a socket id", nc_rpc_op_name(op));
			expect_bad_request(&req, sizeof(req), "unexpected socket", what);
		}
		if (op != NC_OP_SETSOCKOPT && op != NC_OP_RESOLVE && op != NC_OP_PORTS) {
			snprintf(what, sizeof(what), "%s with an option value", nc_rpc_op_name(op));
			valid_request(&req, op);
			req.optlen = 1;
			expect_bad_request(&req, sizeof(req), "option", what);
			req.optlen = NC_OPT_MAX;
			expect_bad_request(&req, sizeof(req), "option", what);
		}
	}
}

/* valid_reply() - a well-formed reply to @req carrying addresses and an option. */
static void valid_reply(struct nc_reply *rep, const struct nc_request *req)
{
	nc_rpc_init_reply(rep, req);
	rep->result = 0;
	rep->sock = SOCK_ID;
	rep->addrlen = put_sin(rep->addr, 7777);
	rep->addr2len = put_sin6(rep->addr2, 7777);
	rep->optlen = NC_OPT_MAX;
}

/* expect_bad_reply() - the reply is refused, naming @reason. */
static void expect_bad_reply(const void *rep, size_t len, const struct nc_request *req,
			     const char *reason, const char *what)
{
	const char *why = NULL;

	if (nc_rpc_check_reply(rep, len, req, &why) != -1)
		fail_msg("accepted malformed reply: %s", what);
	if (!why || !strstr(why, reason))
		fail_msg("%s: reason '%s', expected '%s'", what, why ? why : "(none)", reason);
}

/* Replies to every operation pass; results span 0..INT32_MAX and -1..-4095. */
static void test_reply_valid(void **state)
{
	const int32_t results[] = { 0, 1, INT32_MAX, -1, -4095 };
	struct nc_request req;
	struct nc_reply rep;
	const char *why = NULL;
	unsigned op;
	size_t i;

	for (op = 1; op < NC_OP_MAX_; op++) {
		valid_request(&req, op);
		req.seq = 1000 + op;
		for (i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
			valid_reply(&rep, &req);
			rep.result = results[i];
			if (nc_rpc_check_reply(&rep, sizeof(rep), &req, &why))
				fail_msg("refused good %s reply: %s", nc_rpc_op_name(op), why);
		}
		nc_rpc_init_reply(&rep, &req);
		assert_int_equal(nc_rpc_check_reply(&rep, sizeof(rep), &req, &why), 0);
		assert_int_equal(rep.seq, req.seq);
		assert_int_equal(rep.op, req.op);
	}
}

/* Every way a reply can be malformed or answer another request is refused. */
static void test_reply_bad(void **state)
{
	union {
		struct nc_reply rep;
		uint8_t bytes[sizeof(struct nc_reply) + 1];
	} u;
	struct nc_request req;
	sa_family_t unix_family = AF_UNIX;

	memset(&u, 0, sizeof(u));
	valid_request(&req, NC_OP_GETPEERNAME);
	valid_reply(&u.rep, &req);
	expect_bad_reply(&u, 0, &req, "size", "empty");
	expect_bad_reply(&u, sizeof(u.rep) - 1, &req, "size", "short");
	expect_bad_reply(&u, sizeof(u.rep) + 1, &req, "size", "long");
	expect_bad_reply(&u, sizeof(struct nc_request), &req, "size", "a request's size");

	valid_reply(&u.rep, &req);
	u.rep.magic ^= 1;
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "magic", "bad magic");
	valid_reply(&u.rep, &req);
	u.rep.version = NC_RPC_VERSION + 1;
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "version", "bad version");

	valid_reply(&u.rep, &req);
	u.rep.seq = req.seq + 1;
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "match", "seq mismatch");
	valid_reply(&u.rep, &req);
	u.rep.op = NC_OP_CONNECT;
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "match", "op mismatch");

	valid_reply(&u.rep, &req);
	u.rep.result = -4096;
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "result", "result -4096");
	u.rep.result = INT32_MIN;
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "result", "result INT32_MIN");

	valid_reply(&u.rep, &req);
	u.rep.optlen = NC_OPT_MAX + 1;
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "option", "optlen too long");
	u.rep.optlen = UINT32_MAX;
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "option", "optlen UINT32_MAX");

	valid_reply(&u.rep, &req);
	u.rep.addrlen = sizeof(struct sockaddr_in6);
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "address", "AF_INET addr with 28 bytes");
	valid_reply(&u.rep, &req);
	u.rep.addrlen = NC_ADDR_MAX + 1;
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "address", "addrlen too long");

	valid_reply(&u.rep, &req);
	u.rep.addr2len = sizeof(struct sockaddr_in);
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "address", "AF_INET6 addr2 with 16 bytes");
	valid_reply(&u.rep, &req);
	u.rep.addr2len = UINT32_MAX;
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "address", "addr2len UINT32_MAX");
	valid_reply(&u.rep, &req);
	memcpy(u.rep.addr2, &unix_family, sizeof(unix_family));
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "address", "AF_UNIX addr2");
	u.rep.addr2len = 1;
	expect_bad_reply(&u.rep, sizeof(u.rep), &req, "address", "one byte of addr2");
}

/* Operation names: every valid code has one; bad codes are "invalid". */
static void test_op_names(void **state)
{
	unsigned op;

	for (op = 1; op < NC_OP_MAX_; op++) {
		assert_non_null(nc_rpc_op_name(op));
		assert_string_not_equal(nc_rpc_op_name(op), "invalid");
	}
	assert_string_equal(nc_rpc_op_name(NC_OP_CONNECT), "connect");
	assert_string_equal(nc_rpc_op_name(0), "invalid");
	assert_string_equal(nc_rpc_op_name(NC_OP_MAX_), "invalid");
	assert_string_equal(nc_rpc_op_name(UINT32_MAX), "invalid");
}

/*
 * Accept records (pushed on a listening socket): IPv4 and IPv6 peers pass;
 * a record of another size, a wrong magic or version, no socket id, or a
 * missing or malformed address is refused.
 */
static void test_accept_record(void **state)
{
	union {
		struct nc_accept_record rec;
		uint8_t bytes[sizeof(struct nc_accept_record) + 1];
	} u;
	const char *why = NULL;
	sa_family_t unix_family = AF_UNIX;

	(void)state;
	memset(&u, 0, sizeof(u));
	nc_rpc_init_accept(&u.rec, SOCK_ID);
	u.rec.addrlen = put_sin(u.rec.addr, 40000);
	assert_int_equal(nc_rpc_check_accept(&u.rec, sizeof(u.rec), &why), 0);
	u.rec.addrlen = put_sin6(u.rec.addr, 40000);
	assert_int_equal(nc_rpc_check_accept(&u.rec, sizeof(u.rec), &why), 0);

	assert_int_equal(nc_rpc_check_accept(&u, 0, &why), -1);
	assert_int_equal(nc_rpc_check_accept(&u, sizeof(u.rec) - 1, &why), -1);
	assert_int_equal(nc_rpc_check_accept(&u, sizeof(u.rec) + 1, &why), -1);
	assert_string_equal(why, "wrong record size");

	u.rec.magic ^= 1;
	assert_int_equal(nc_rpc_check_accept(&u.rec, sizeof(u.rec), &why), -1);
	u.rec.magic ^= 1;
	u.rec.version++;
	assert_int_equal(nc_rpc_check_accept(&u.rec, sizeof(u.rec), &why), -1);
	assert_string_equal(why, "bad magic or version");
	u.rec.version--;

	u.rec.sock = 0;
	assert_int_equal(nc_rpc_check_accept(&u.rec, sizeof(u.rec), &why), -1);
	assert_string_equal(why, "socket missing");
	u.rec.sock = SOCK_ID;

	u.rec.addrlen = 0;
	assert_int_equal(nc_rpc_check_accept(&u.rec, sizeof(u.rec), &why), -1);
	u.rec.addrlen = NC_ADDR_MAX + 1;
	assert_int_equal(nc_rpc_check_accept(&u.rec, sizeof(u.rec), &why), -1);
	u.rec.addrlen = put_sin(u.rec.addr, 1);
	memcpy(u.rec.addr, &unix_family, sizeof(unix_family));
	assert_int_equal(nc_rpc_check_accept(&u.rec, sizeof(u.rec), &why), -1);
	assert_string_equal(why, "malformed address");
}

/* next_rand() - xorshift64: a fixed, reproducible stream for the fuzz loop. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* fill_random() - @len random bytes into @buf. */
static void fill_random(uint8_t *buf, size_t len, uint64_t *s)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)next_rand(s);
}

/* random_length() - anything from 0 to twice the larger message, often exact. */
static size_t random_length(uint64_t *s)
{
	uint64_t r = next_rand(s);

	switch (r % 4) {
	case 0:
		return sizeof(struct nc_request);
	case 1:
		return sizeof(struct nc_reply);
	default:
		return (r >> 8) % (2 * sizeof(struct nc_reply) + 1);
	}
}

/* mutate() - flip 1..4 random bytes of @buf, to probe past the header checks. */
static void mutate(uint8_t *buf, size_t len, uint64_t *s)
{
	unsigned n = 1 + next_rand(s) % 4;

	while (n--) {
		uint64_t r = next_rand(s);

		buf[r % len] ^= (uint8_t)(1 + (r >> 32) % 255);
	}
}

/* check_accepted_request() - what a passing request guarantees the service. */
static void check_accepted_request(const uint8_t *buf)
{
	struct nc_request got;

	memcpy(&got, buf, sizeof(got));
	assert_int_equal(got.magic, NC_RPC_MAGIC);
	assert_int_equal(got.version, NC_RPC_VERSION);
	assert_true(got.op > 0 && got.op < NC_OP_MAX_);
	assert_true(got.optlen <= NC_OPT_MAX);
	assert_true(got.optlen == 0 || got.op == NC_OP_SETSOCKOPT || got.op == NC_OP_RESOLVE ||
		    (got.op == NC_OP_PORTS && got.arg[0] != NC_PORTS_LIST));
	/* AF_UNSPEC alone: connect(AF_UNSPEC) dissolving a datagram socket's peer */
	assert_true(got.addrlen == 0 || got.addrlen == sizeof(struct sockaddr_in) ||
		    got.addrlen == sizeof(struct sockaddr_in6) ||
		    (got.addrlen == sizeof(sa_family_t) && got.addr[0] == 0 && got.addr[1] == 0));
	assert_true((got.sock != 0) == needs_sock(got.op));
}

/* check_accepted_reply() - what a passing reply guarantees libnetcon. */
static void check_accepted_reply(const uint8_t *buf, const struct nc_request *req)
{
	struct nc_reply got;

	memcpy(&got, buf, sizeof(got));
	assert_int_equal(got.magic, NC_RPC_MAGIC);
	assert_int_equal(got.op, req->op);
	assert_int_equal(got.seq, req->seq);
	assert_true(got.result >= -4095);
	assert_true(got.optlen <= NC_OPT_MAX);
	assert_true(got.addrlen <= NC_ADDR_MAX && got.addr2len <= NC_ADDR_MAX);
}

/*
 * Random input never crashes either check. Each buffer is allocated to its
 * exact length so sanitizer builds catch an over-read. Three kinds of round:
 * random bytes of a random length with a wrong magic (always refused), and
 * valid requests and replies with a few bytes changed (whatever still passes
 * must keep the guarantees above).
 */
static void test_fuzz(void **state)
{
	uint64_t seed = 0x6e6574636f6e2121ull;
	unsigned round, refused = 0, mutated_ok = 0;

	for (round = 0; round < FUZZ_ROUNDS; round++) {
		struct nc_request req;
		const char *why = NULL;
		unsigned kind = round % 3;
		size_t len;
		uint8_t *buf;

		valid_request(&req, 1 + next_rand(&seed) % (NC_OP_MAX_ - 1));
		req.seq = (uint32_t)next_rand(&seed);
		len = kind == 0 ? random_length(&seed) :
		      kind == 1 ? sizeof(struct nc_request) : sizeof(struct nc_reply);
		buf = malloc(len ? len : 1);
		assert_non_null(buf);

		if (kind == 0) {
			fill_random(buf, len, &seed);
			if (len >= 2 && buf[0] == (NC_RPC_MAGIC & 0xff) &&
			    buf[1] == (NC_RPC_MAGIC >> 8))
				buf[1] ^= 0x80;
			if (nc_rpc_check_request(buf, len, &why) != -1 || !why)
				fail_msg("random request of %zu bytes not refused", len);
			why = NULL;
			if (nc_rpc_check_reply(buf, len, &req, &why) != -1 || !why)
				fail_msg("random reply of %zu bytes not refused", len);
			refused++;
		} else if (kind == 1) {
			memcpy(buf, &req, len);
			mutate(buf, len, &seed);
			if (nc_rpc_check_request(buf, len, &why) == 0) {
				check_accepted_request(buf);
				mutated_ok++;
			} else {
				assert_non_null(why);
			}
		} else {
			struct nc_reply rep;

			valid_reply(&rep, &req);
			memcpy(buf, &rep, len);
			mutate(buf, len, &seed);
			if (nc_rpc_check_reply(buf, len, &req, &why) == 0) {
				check_accepted_reply(buf, &req);
				mutated_ok++;
			} else {
				assert_non_null(why);
			}
		}
		free(buf);
	}
	assert_true(refused > FUZZ_ROUNDS / 4);
	/* Changes in payload bytes are fine, so some mutated messages pass. */
	assert_true(mutated_ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_valid),
		cmocka_unit_test(test_request_header),
		cmocka_unit_test(test_request_lengths),
		cmocka_unit_test(test_request_families),
		cmocka_unit_test(test_request_per_op),
		cmocka_unit_test(test_reply_valid),
		cmocka_unit_test(test_reply_bad),
		cmocka_unit_test(test_op_names),
		cmocka_unit_test(test_accept_record),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests_name("rpc", tests, NULL, NULL);
}

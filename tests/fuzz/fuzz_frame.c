/*
 * fuzz_frame.c - libFuzzer harness for the service's frame input: every
 * input is what a participant on the virtual network could send, passed
 * through the same door the link uses (nc_link_input_frame(): runts dropped,
 * short frames padded) into lwIP as the service sets it up (nc_stack_init():
 * the link's interface with IPv4 and IPv6 addresses and gateways, loopback,
 * the checksum policy of the local switch), with listening sockets of the
 * service's own socket table, so SYNs reach the accept path. Frames the
 * stack sends go nowhere: the link has no connection (nc_link_attach()).
 *
 * An input is a sequence of frames, each a 2-byte big-endian length and
 * that many bytes (the last one takes what is left), so that fragments and
 * handshakes can be replayed whole; tests/fuzz/make_corpus.py writes seeds.
 * State (ARP and neighbour caches, reassembly, half-open connections)
 * carries over from one input to the next, as it does in a service.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "service/config.h"
#include "service/dns.h"
#include "service/link.h"
#include "service/loop.h"
#include "service/sock.h"
#include "service/stack.h"
#include "service/timewait.h"
#include "common/log.h"
#include "common/rpc.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"

#define MAX_FRAMES	32	/* per input */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nc_config cfg;
static bool verbose;	/* FUZZ_VERBOSE: what each input did, for checking seeds */

/*
 * harness_reply() - the harness is the socket table's only client (the RPC
 * endpoint, server.c, is not linked here), and no request it makes is
 * deferred; a reply that comes anyway is dropped.
 */
static void harness_reply(struct nc_client *client, struct nc_reply *rep, int fd)
{
	(void)client;
	(void)rep;
	if (fd >= 0)
		close(fd);
}

static struct nc_client harness = { .reply = harness_reply };

/*
 * request() - one request to the socket table, as the RPC endpoint would
 * pass it, carrying the socket's descriptor (@fd, or -1) as programs do.
 * Returns the result; *@fd_out gets a descriptor the reply carries, if any.
 */
static int request(struct nc_request *req, int fd, struct nc_reply *rep, int *fd_out)
{
	int deferred, out = -1;

	nc_rpc_init_reply(rep, req);
	nc_sock_request(&harness, req, fd >= 0 ? dup(fd) : -1, rep, &out, &deferred);
	if (fd_out)
		*fd_out = out;
	else if (out >= 0)
		close(out);
	return rep->result;
}

/*
 * listen_on() - a listening socket in the socket table, made the way a
 * program makes one (SOCKET, BIND, LISTEN). Exits if the table refuses:
 * a harness without its listener would fuzz less than it says.
 */
static void listen_on(int domain, uint16_t port)
{
	struct nc_request req;
	struct nc_reply rep;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	uint64_t id;
	int fd = -1;

	nc_rpc_init_request(&req, NC_OP_SOCKET, 0);
	req.arg[0] = domain;
	req.arg[1] = SOCK_STREAM;
	if (request(&req, -1, &rep, &fd) < 0 || fd < 0) {
		fprintf(stderr, "fuzz_frame: SOCKET failed: %d\n", rep.result);
		exit(1);
	}
	id = rep.sock;
	nc_rpc_init_request(&req, NC_OP_BIND, id);
	if (domain == AF_INET6) {
		req.addrlen = sizeof(a6);
		memcpy(req.addr, &a6, sizeof(a6));
	} else {
		req.addrlen = sizeof(a4);
		memcpy(req.addr, &a4, sizeof(a4));
	}
	if (request(&req, fd, &rep, NULL) < 0) {
		fprintf(stderr, "fuzz_frame: BIND to port %u failed: %d\n", port, rep.result);
		exit(1);
	}
	nc_rpc_init_request(&req, NC_OP_LISTEN, id);
	req.arg[0] = 16;
	if (request(&req, fd, &rep, NULL) < 0) {
		fprintf(stderr, "fuzz_frame: LISTEN failed: %d\n", rep.result);
		exit(1);
	}
	/* fd stays open: the program's end, which accepted connections are pushed to. */
}

/* on_frame() - the link's frame callback, as the service's main.c sets it. */
static void on_frame(const uint8_t *frame, size_t len)
{
	nc_stack_input(frame, len);
}

/* udp_on() - a dual-stack UDP socket bound to @port: datagrams reach udp.c's receive path. */
static void udp_on(uint16_t port)
{
	struct nc_request req;
	struct nc_reply rep;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int fd = -1;

	nc_rpc_init_request(&req, NC_OP_SOCKET, 0);
	req.arg[0] = AF_INET6;
	req.arg[1] = SOCK_DGRAM;
	if (request(&req, -1, &rep, &fd) < 0 || fd < 0) {
		fprintf(stderr, "fuzz_frame: UDP SOCKET failed: %d\n", rep.result);
		exit(1);
	}
	nc_rpc_init_request(&req, NC_OP_BIND, rep.sock);
	req.addrlen = sizeof(a6);
	memcpy(req.addr, &a6, sizeof(a6));
	if (request(&req, fd, &rep, NULL) < 0) {
		fprintf(stderr, "fuzz_frame: UDP BIND to port %u failed: %d\n", port, rep.result);
		exit(1);
	}
	/* fd stays open for the run: the program end of a socket that never reads */
}

/*
 * LLVMFuzzerInitialize() - the service's start-up, less the RPC endpoint:
 * fixed addresses (no ARP probing), the local switch's checksum policy, a
 * netcon MAC, listeners on port 80 (IPv6 and IPv4) and 8080 (IPv4), names
 * (mDNS, the DNS stub, a --dns server) and a UDP socket on port 9.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	harness.uid = getuid();
	harness.pid = getpid();
	nc_log_level = verbose ? NC_LOG_DEBUG : NC_LOG_ERROR;
	memset(&cfg, 0, sizeof(cfg));
	cfg.link_kind = NC_LINK_DEFAULT_SWITCH;
	cfg.mtu = 9000;
	nc_parse_mac("02:6e:63:00:00:01", cfg.mac);
	cfg.have_mac = true;
	nc_parse_ip4_cidr("10.0.0.1/24", &cfg.ip4, &cfg.prefix4);
	inet_pton(AF_INET, "10.0.0.254", &cfg.gw4);
	nc_parse_ip6_cidr("fd00::1/64", &cfg.ip6, &cfg.prefix6);
	inet_pton(AF_INET6, "fd00::fe", &cfg.gw6);
	cfg.have_ip4 = cfg.have_gw4 = cfg.have_ip6 = cfg.have_gw6 = true;
	if (nc_loop_init()) {
		perror("fuzz_frame: event loop");
		exit(1);
	}
	nc_sock_init();
	nc_link_attach(&cfg, on_frame, NULL);
	if (nc_stack_init(&cfg)) {
		fprintf(stderr, "fuzz_frame: stack set-up failed\n");
		exit(1);
	}
	/* Names: multicast DNS on 5353, the stub on 53, one --dns server to forward to. */
	snprintf(cfg.name, sizeof(cfg.name), "fuzz");
	cfg.n_dns = 1;
	cfg.dns[0].family = AF_INET;
	inet_pton(AF_INET, "10.0.0.53", cfg.dns[0].addr);
	if (nc_names_init(&cfg)) {
		fprintf(stderr, "fuzz_frame: names set-up failed\n");
		exit(1);
	}
	listen_on(AF_INET6, 80);
	listen_on(AF_INET, 8080);
	udp_on(9);
	return 0;
}

/* report() - the link's counters and lwIP's connections, after an input. */
static void report(void)
{
	const struct nc_link_stats *st = nc_link_stats();
	const struct tcp_pcb *pcb;
	unsigned active = 0, syn_rcvd = 0;

	for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
		active++;
		syn_rcvd += pcb->state == SYN_RCVD;
	}
	fprintf(stderr, "fuzz_frame: frames %llu (runts %llu, padded %llu), "
		"tcp active %u (SYN_RCVD %u)\n", (unsigned long long)st->frames_in,
		(unsigned long long)st->runts, (unsigned long long)st->padded, active, syn_rcvd);
}

/*
 * LLVMFuzzerTestOneInput() - each frame through the link's door, in a
 * buffer of its own size (60 when shorter: the room the link pads in), so
 * AddressSanitizer sees any read past it; then what the service's loop
 * does after a batch (sockets flushed, timers, loopback, TIME_WAIT).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int frames;

	for (frames = 0; size >= 2 && frames < MAX_FRAMES; frames++) {
		size_t len = (size_t)data[0] << 8 | data[1];
		uint8_t *buf;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		buf = malloc(len < NC_ETH_MIN_FRAME ? NC_ETH_MIN_FRAME : len);
		if (!buf)
			return 0;
		memcpy(buf, data, len);
		nc_link_input_frame(buf, len, len < NC_ETH_MIN_FRAME ? NC_ETH_MIN_FRAME : len);
		free(buf);
		data += len;
		size -= len;
	}
	nc_sock_flush();
	nc_stack_poll();
	nc_sock_flush();
	nc_timewait_drain();
	if (verbose)
		report();
	return 0;
}

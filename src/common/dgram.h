/*
 * dgram.h - how datagrams travel between a program and the service.
 *
 * A netcon datagram socket (UDP, ICMP echo) is one end of an AF_UNIX
 * SOCK_DGRAM socketpair, so every datagram stays one message: never split,
 * merged or reordered, zero-length ones included, and poll/epoll readiness is
 * per datagram, as the kernel's. The program's descriptor is a real socket
 * that data calls use directly.
 *
 * Two framings, chosen by the socket's state, never mixed in one queue:
 *
 *  - Connected (connect() fixed the peer): the payload alone, both ways, so
 *    plain read/write/send/recv work unchanged and need no intercept at all.
 *  - Unconnected: each message starts with struct nc_dgram_hdr (the peer's
 *    address, and on the way in what IP_PKTINFO, IP_RECVTTL and IP_RECVTOS
 *    report), followed by the payload. libnetcon adds it on sendto/sendmsg and
 *    strips it on every receive call, so the program sees the payload only.
 *
 * A record that carries a descriptor (SCM_RIGHTS; the receiver closes it) is
 * framed whatever the state: from the program, a connected socket's sendto()
 * to another address; from the service, an error (ICMP port unreachable) for
 * the program's next receive.
 *
 * The switch between the two happens inside the CONNECT request, which
 * carries the program's own descriptor: the service sends what the program
 * queued before it, then re-frames what waits in the program's receive queue
 * (it can read that queue through the descriptor) before it answers.
 */
#ifndef NETCON_DGRAM_H
#define NETCON_DGRAM_H

#include <stdint.h>
#include <netinet/in.h>

#include "rpc.h"

#define NC_DGRAM_MAGIC		0x4447u		/* "DG" */
#define NC_DGRAM_IFINDEX	1		/* IP_PKTINFO's interface: the program's loopback */
#define NC_DGRAM_MAX4		65507u		/* largest UDP payload over IPv4 */
#define NC_DGRAM_MAX6		65487u		/* ... over IPv6 here: Linux allows 65527,
						 * but lwIP's packets, IPv6 header
						 * included, are at most 65535 bytes */

/* nc_dgram_hdr.info: which receive-side fields the service filled in. */
#define NC_DGRAM_PKTINFO	0x01	/* dst and ifindex */
#define NC_DGRAM_TTL		0x02	/* ttl (hop limit on IPv6) */
#define NC_DGRAM_TOS		0x04	/* tos (traffic class on IPv6) */

struct nc_dgram_hdr {
	uint16_t magic;
	uint8_t info;			/* NC_DGRAM_* bits (service to program only) */
	uint8_t ttl;
	uint32_t addrlen;		/* sizeof(sockaddr_in) or sizeof(sockaddr_in6) */
	uint8_t addr[NC_ADDR_MAX];	/* to the program: the source; from it: the destination */
	uint8_t dst[16];		/* the datagram's destination address (4 or 16 bytes used) */
	uint32_t ifindex;
	uint8_t tos;
	uint8_t error;			/* service to program, marked record: an errno (ECONNREFUSED) */
	uint8_t pad[6];
};

_Static_assert(sizeof(struct nc_dgram_hdr) == 64, "one cache line, no hidden padding");

/* nc_dgram_report_of() - the receive report (NC_DGRAM_*) an option turns on, or 0. */
static inline unsigned nc_dgram_report_of(int level, int name)
{
	if (level == IPPROTO_IP)
		return name == IP_PKTINFO ? NC_DGRAM_PKTINFO : name == IP_RECVTTL ? NC_DGRAM_TTL :
		       name == IP_RECVTOS ? NC_DGRAM_TOS : 0;
	if (level == IPPROTO_IPV6)
		return name == IPV6_RECVPKTINFO ? NC_DGRAM_PKTINFO :
		       name == IPV6_RECVHOPLIMIT ? NC_DGRAM_TTL :
		       name == IPV6_RECVTCLASS ? NC_DGRAM_TOS : 0;
	return 0;
}

#endif

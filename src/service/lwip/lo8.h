/*
 * lwip/lo8.h - for the lwIP files compiled through a wrapper of ours
 * (lwip/ip4.c, lwip/udp.c): all of 127.0.0.0/8 is the loopback interface's.
 *
 * Linux holds every address of 127.0.0.0/8 to be this host's (the route
 * "local 127.0.0.0/8 dev lo"); lwIP's loopback interface has 127.0.0.1/8,
 * routes the block to itself, but then takes as its own only 127.0.0.1: it
 * accepts nothing else (ip4.c), sends nothing from another of the block
 * (udp.c, ERR_RTE), answers nothing else with port unreachable (udp.c).
 * Each of those decisions compares an address with an interface's own one,
 * netif_ip4_addr(netif), through ip4_addr_cmp(), and no lwIP hook reaches
 * them (LWIP_HOOK_IP4_INPUT takes a packet over, it cannot have it
 * accepted). So the wrappers compile lwIP's own file, not a copy, after
 * redefining ip4_addr_cmp(): two addresses are equal if they are, or if both
 * are of 127/8 and one of them is an interface's own address (only the
 * loopback interface has one of 127/8). Two addresses neither of which is
 * an interface's, such as a PCB's bound address and a packet's destination
 * (ip_addr_cmp() in udp.c's demultiplexing), still compare exactly: a socket
 * bound to 127.0.0.2 gets nothing sent to 127.0.0.3.
 *
 * Include this after every header the wrapped file includes, so that the
 * redefinition reaches only the wrapped file's own code.
 */
#ifndef NETCON_LWIP_LO8_H
#define NETCON_LWIP_LO8_H

#include "lwip/ip4_addr.h"
#include "lwip/netif.h"

static inline int nc_lo8_addr_cmp(const ip4_addr_t *a, const ip4_addr_t *b)
{
	struct netif *netif;

	if (ip4_addr_get_u32(a) == ip4_addr_get_u32(b))
		return 1;
	if (!ip4_addr_isloopback(a) || !ip4_addr_isloopback(b))
		return 0;
	NETIF_FOREACH(netif) {
		if (netif_ip4_addr(netif) == a || netif_ip4_addr(netif) == b)
			return 1;
	}
	return 0;
}

#undef ip4_addr_cmp
#define ip4_addr_cmp(addr1, addr2) nc_lo8_addr_cmp((addr1), (addr2))

#endif

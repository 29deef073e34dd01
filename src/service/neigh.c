/*
 * neigh.c - neighbour resolution as TCP's connect() needs it: Linux fails a
 * connection attempt to an address on the link with EHOSTUNREACH once ARP
 * (or IPv6 neighbour discovery) has given up, about 3 s in (3 probes, 1 s
 * apart), instead of sending SYNs into the void for the 2 minutes of its SYN
 * retries. lwIP keeps resolving and queueing but never tells TCP, so tcp.c
 * asks here while a connection is still being set up.
 */
#include "lwip/etharp.h"
#include "lwip/ip4.h"
#include "lwip/ip6_addr.h"
#include "lwip/netif.h"
#include "lwip/priv/nd6_priv.h"

#include "neigh.h"

/* unresolved4() - is @dst's next hop on the link without an ARP answer? */
static bool unresolved4(const ip4_addr_t *dst)
{
	struct netif *n = ip4_route(dst);
	const ip4_addr_t *hop = dst, *ip_ret;
	struct eth_addr *eth_ret;

	if (!n || (n->flags & NETIF_FLAG_ETHARP) == 0)
		return false;	/* loopback: nothing to resolve */
	if (!ip4_addr_netcmp(dst, netif_ip4_addr(n), netif_ip4_netmask(n)))
		hop = netif_ip4_gw(n);
	if (ip4_addr_isany(hop))
		return false;
	return etharp_find_addr(n, hop, &eth_ret, &ip_ret) < 0;
}

/* unresolved6() - is @dst on the link and its neighbour cache entry still incomplete? */
static bool unresolved6(const ip6_addr_t *dst)
{
	int i;

	for (i = 0; i < LWIP_ND6_NUM_NEIGHBORS; i++) {
		const struct nd6_neighbor_cache_entry *e = &neighbor_cache[i];

		if (e->state != ND6_NO_ENTRY && ip6_addr_cmp_zoneless(&e->next_hop_address, dst))
			return e->state == ND6_INCOMPLETE;
	}
	return false;	/* not being resolved (a router's job, or not on the link) */
}

bool nc_neigh_unresolved(const ip_addr_t *dst)
{
	if (IP_IS_V4(dst))
		return unresolved4(ip_2_ip4(dst));
	return unresolved6(ip_2_ip6(dst));
}

/* netcon_lwip_hooks.h - functions the service provides to lwIP (see lwipopts.h). */
#ifndef NETCON_LWIP_HOOKS_H
#define NETCON_LWIP_HOOKS_H

#include "lwip/err.h"
#include "lwip/ip_addr.h"

u32_t netcon_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
		     const ip_addr_t *remote_ip, u16_t remote_port);

struct netif;
const ip6_addr_t *netcon_ip6_gateway(struct netif *netif, const ip6_addr_t *dest);

struct tcp_pcb;
struct tcp_hdr;
err_t netcon_tcp_inpacket(struct tcp_pcb *pcb, const struct tcp_hdr *hdr);

#endif

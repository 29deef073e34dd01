/* netcon_lwip_hooks.h - functions the service provides to lwIP (see lwipopts.h). */
#ifndef NETCON_LWIP_HOOKS_H
#define NETCON_LWIP_HOOKS_H

#include "lwip/err.h"
#include "lwip/ip_addr.h"

/* stack.c: RFC 6528 initial sequence numbers. */
u32_t netcon_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
		     const ip_addr_t *remote_ip, u16_t remote_port);

/* stack.c: the next hop for an off-link IPv6 destination. */
struct netif;
const ip6_addr_t *netcon_ip6_gateway(struct netif *netif, const ip6_addr_t *dest);

/* tcp_listen.c: each segment matched to a PCB (accept queue full: drop the SYN). */
struct tcp_pcb;
struct tcp_hdr;
struct pbuf;
err_t netcon_tcp_inpacket(struct tcp_pcb *pcb, const struct tcp_hdr *hdr, const struct pbuf *p);
/* ICMP errors about UDP datagrams, seen before lwIP drops them (udp.c). */
struct netif;
int nc_udp_ip4_input(struct pbuf *p, struct netif *inp);
int nc_udp_ip6_input(struct pbuf *p, struct netif *inp);

/* synguard.c: room for a SYN on a full listener (evicts its oldest half-open). */
struct tcp_pcb_listen;
int netcon_syn_admit(struct tcp_pcb_listen *lpcb);

/* oosguard.c: out-of-order queue limits, per connection and in total. */
u32_t netcon_ooseq_bytes_limit(const struct tcp_pcb *pcb);
u16_t netcon_ooseq_pbufs_limit(const struct tcp_pcb *pcb);
int netcon_ooseq_admit(const struct tcp_pcb *pcb, const struct tcp_hdr *hdr, const struct pbuf *p);

#endif

/*
 * lwip/tso.h - where lwIP would fragment an IP packet larger than its
 * interface's MTU, a TCP segment on an interface with segmentation offload
 * (stack.c: a tap opened with TSO) goes out whole: the kernel cuts it at
 * the MSS, or takes it as one, as it takes a virtio NIC's. lwIP only makes
 * such segments where stack.c has raised a connection's MSS for it.
 */
#ifndef NETCON_LWIP_TSO_H
#define NETCON_LWIP_TSO_H

#include "lwip/err.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"

struct netif;
err_t nc_ip4_frag_or_tso(struct pbuf *p, struct netif *netif, const ip4_addr_t *dest);
err_t nc_ip6_frag_or_tso(struct pbuf *p, struct netif *netif, const ip6_addr_t *dest);

#endif

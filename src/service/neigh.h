/*
 * neigh.h - is a destination's link-layer neighbour still unresolved (see neigh.c)?
 */
#ifndef NETCON_NEIGH_H
#define NETCON_NEIGH_H

#include <stdbool.h>

#include "lwip/ip_addr.h"

/* True while @dst (or the gateway towards it) is on the link with no ARP/ND answer yet. */
bool nc_neigh_unresolved(const ip_addr_t *dst);

#endif

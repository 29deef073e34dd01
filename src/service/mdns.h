/*
 * mdns.h - multicast DNS (RFC 6762) on the virtual link: a responder for the
 * service's own name (--name, as NAME and NAME.local) and a querier for the
 * resolver in dns.c, on 224.0.0.251 and ff02::fb, port 5353.
 */
#ifndef NETCON_MDNS_H
#define NETCON_MDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dns.h"

/* Join the groups, start answering, announce our name. */
int nc_mdns_init(const struct nc_config *cfg);
/* Is @name (lower case, no final dot) this service's: NAME or NAME.local? */
bool nc_mdns_is_own(const char *name);
/* Is @addr (family AF_INET or AF_INET6) one of this service's addresses? */
bool nc_mdns_is_own_addr(int family, const uint8_t *addr);
/* The service's name as given by --name, and its addresses. */
const char *nc_mdns_own_name(void);
void nc_mdns_own_addrs(struct nc_names_addrs *a);
/* The name mDNS is asked for @name: @name if it ends in .local, else NAME.local. */
void nc_mdns_local_name(const char *name, char *out, size_t cap);
/* Send one query for @name, types @t1 and @t2 (0: none) on both groups. */
void nc_mdns_query(const char *name, uint16_t t1, uint16_t t2);

#endif

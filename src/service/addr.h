/*
 * addr.h - conversions between the programs' socket addresses and lwIP's,
 * with the kernel's rules for IPv4-mapped IPv6 addresses.
 */
#ifndef NETCON_ADDR_H
#define NETCON_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lwip/ip_addr.h"

/*
 * nc_addr_from_sockaddr() - @sa as an lwIP address and port. On an AF_INET6
 * socket, "::ffff:a.b.c.d" becomes the IPv4 address (and sets *@mapped).
 * Returns 0, or a negative errno as the kernel would give it.
 */
int nc_addr_from_sockaddr(const void *sa, uint32_t len, int domain, ip_addr_t *ip,
			  uint16_t *port, bool *mapped);
/* nc_addr_to_sockaddr() - the reverse; IPv4 on an AF_INET6 socket is mapped. */
uint32_t nc_addr_to_sockaddr(const ip_addr_t *ip, uint16_t port, int domain, void *sa);
/* Printable "addr:port" / "[addr]:port" for logs. */
const char *nc_addr_str(const ip_addr_t *ip, uint16_t port);

#endif

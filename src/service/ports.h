/*
 * ports.h - local ports: which sockets hold which port, in one port space
 * per protocol (TCP's and UDP's ports are independent, as in the kernel), the
 * rules for sharing one, ephemeral port choice, and bind().
 */
#ifndef NETCON_PORTS_H
#define NETCON_PORTS_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/ip_addr.h"

#include "../common/rpc.h"

/* One chain of holders per port and per space; a protocol names its space. */
enum nc_port_space {
	NC_PORTS_TCP,
	NC_PORTS_UDP,
	NC_PORT_SPACES
};

struct nc_sock;

void nc_ports_init(void);
/* Enter @s (its local_port, in its protocol's space) without any check. */
void nc_port_hold(struct nc_sock *s);
/* Let go of @s's port if it holds one; it is unbound afterwards. */
void nc_port_release(struct nc_sock *s);
/* Would @s bound to @ip and @port conflict with a socket holding it already? */
bool nc_port_conflict(const struct nc_sock *s, const ip_addr_t *ip, uint16_t port);
/* A free ephemeral port for @s on @ip, or -1. */
int nc_port_pick(const struct nc_sock *s, const ip_addr_t *ip);
/* Bind @s to @ip and @port (0: pick one): 0 or -EADDRINUSE. */
int nc_port_bind(struct nc_sock *s, const ip_addr_t *ip, uint16_t port);
/* The BIND request: check the address, then nc_port_bind(). */
int nc_port_bind_request(struct nc_sock *s, const struct nc_request *req);
/* The first socket holding @port in @s's space (next ones: ->bnext). */
struct nc_sock *nc_port_holders(const struct nc_sock *s, uint16_t port);
/* The wildcard address for @s's family (dual stack for AF_INET6 unless V6ONLY). */
void nc_any_addr(const struct nc_sock *s, ip_addr_t *ip);
/* May a socket bind to @ip (the unspecified address, or one this stack holds)? */
bool nc_is_local_addr(const ip_addr_t *ip);

#endif

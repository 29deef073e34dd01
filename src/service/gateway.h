/*
 * gateway.h - the way out of the virtual network and in (--nat,
 * --publish): a NAT gateway on libslirp, a host on this service's link
 * that only this service sees (gateway.c).
 */
#ifndef NETCON_GATEWAY_H
#define NETCON_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define NC_GATEWAY_PORTS_MAX	128	/* published ports (each family counts) */
#define NC_GATEWAY_HOST_NAME	"host.netcon.internal"	/* the host, by name */

/* A frame from the gateway for the stack. */
typedef void (*nc_gateway_frame_cb)(const uint8_t *frame, size_t len);

struct nc_gateway_stats {
	uint64_t frames_in, frames_out;	/* from and to the gateway */
	uint64_t dropped_out;		/* frames for it that did not fit its queue */
};

/* Start the gateway when the configuration asks for one (0 otherwise too). */
int nc_gateway_open(const struct nc_config *cfg, nc_gateway_frame_cb on_frame);
void nc_gateway_close(void);
bool nc_gateway_on(void);

/*
 * Every frame the stack sends passes here first. NC_GATEWAY_NOT: not the
 * gateway's, for the link; NC_GATEWAY_ONLY: the gateway's alone (taken);
 * NC_GATEWAY_ALSO: the gateway has a copy, the link gets it too (ARP, ND).
 */
enum { NC_GATEWAY_NOT, NC_GATEWAY_ONLY, NC_GATEWAY_ALSO };
/* Where a frame lwIP sends would go (NC_GATEWAY_*), from its first @len bytes (headers); nothing is sent. */
int nc_gateway_classify(const uint8_t *hdr, size_t len);
int nc_gateway_frame(const uint8_t *frame, size_t len);

/* Publish (@add) or unpublish a port; both families when @p names neither. 0 or -errno. */
int nc_gateway_publish(const struct nc_publish *p, bool add);
/* The ports published now (each family on its own), at most @max; with @out NULL, how many. */
unsigned nc_gateway_ports(struct nc_publish *out, unsigned max);
const struct nc_gateway_stats *nc_gateway_stats(void);
/*
 * The addresses that reach the host itself from the virtual network
 * (host.netcon.internal): the gateway's, when it leads to the host's
 * loopback (--allow-host-loopback); otherwise the host's own first
 * non-loopback IPv4 and global IPv6 addresses, reached through the NAT.
 */
void nc_gateway_host_addrs(uint8_t ip4[4], bool *has4, uint8_t ip6[16], bool *has6);

#endif

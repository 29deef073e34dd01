/*
 * dns.h - names for the programs of a service: the resolver behind the RPC
 * operations RESOLVE and RESOLVE_ADDR, its cache, the forwarder to --dns
 * servers (UDP, and TCP for truncated answers), the DNS stub on UDP and TCP
 * port 53 of the service's addresses, and the DNS
 * wire format helpers shared with mdns.c. Everything read off the network
 * goes through the bounds-checked readers below.
 */
#ifndef NETCON_DNS_H
#define NETCON_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "../common/rpc.h"

struct nc_client;

#define NC_DNS_NAME_MAX	254	/* a name in text form, NUL included (253 + 1) */
#define NC_DNS_T_A	1
#define NC_DNS_T_CNAME	5
#define NC_DNS_T_PTR	12
#define NC_DNS_T_AAAA	28
#define NC_DNS_T_ANY	255
#define NC_DNS_C_IN	1

/* A set of addresses for one name, as the cache and mDNS keep them. */
struct nc_names_addrs {
	uint8_t n4, n6;
	uint8_t ip4[NC_RESOLVE_MAX4][4];
	uint8_t ip6[NC_RESOLVE_MAX6][16];
};

/* A DNS message header, host order. */
struct nc_dns_hdr {
	uint16_t id, flags, qd, an, ns, ar;
};

/* A resource record as read: its owner, and where its data lies in the message. */
struct nc_dns_rr {
	char name[NC_DNS_NAME_MAX];
	uint16_t type, cls;
	uint32_t ttl;
	uint16_t rdlen;
	size_t rdoff;
};

/* --- wire format (dns.c) --- */
int nc_dns_get_hdr(const uint8_t *p, size_t len, struct nc_dns_hdr *h);
/*
 * Read the name at *@off (compression followed, loops refused), in text
 * form without the final dot, lower-cased unless @keep_case; *@off moves
 * past it. -1 for anything malformed or not representable as text.
 */
int nc_dns_get_name(const uint8_t *p, size_t len, size_t *off, char *out, size_t cap,
		    bool keep_case);
int nc_dns_get_rr(const uint8_t *p, size_t len, size_t *off, struct nc_dns_rr *rr);
int nc_dns_put_name(uint8_t *buf, size_t cap, size_t *off, const char *name);
int nc_dns_put16(uint8_t *buf, size_t cap, size_t *off, uint16_t v);
int nc_dns_put32(uint8_t *buf, size_t cap, size_t *off, uint32_t v);
int nc_dns_put_bytes(uint8_t *buf, size_t cap, size_t *off, const void *data, size_t n);
/* "4.3.2.1.in-addr.arpa" or the ip6.arpa nibble form of an address. */
void nc_dns_reverse_name(int family, const uint8_t *addr, char *out, size_t cap);
/* The inverse: 0 and the address when @name is a whole reverse name. */
int nc_dns_parse_reverse(const char *name, int *family, uint8_t addr[16]);
/* A host name we may look up: labels of 1..63 printable characters, 253 at most. */
bool nc_dns_name_ok(const char *name);

/* --- the names service (dns.c) --- */
/* After the stack is up: mDNS, the stub on port 53, the forwarder. */
int nc_names_init(struct nc_config *cfg);
/*
 * RESOLVE or RESOLVE_ADDR from @client: returns 0 with @rep filled (answered
 * now) or 1 when the reply will follow through nc_client_reply().
 */
int nc_names_request(struct nc_client *client, const struct nc_request *req,
		     struct nc_reply *rep);
/* @client went away: forget it in every pending query. */
void nc_names_client_gone(struct nc_client *client);

/* --- what mdns.c tells the resolver --- */
/* Addresses of @owner seen on the link (a family absent in @a is left as it was). */
void nc_names_learn_addrs(const char *owner, const struct nc_names_addrs *a, uint32_t ttl);
/* A PTR record seen on the link: @owner (a reverse name) names @target. */
void nc_names_learn_ptr(const char *owner, const char *target, uint32_t ttl);
/* A name answered with fixed addresses (the gateway's host.netcon.internal). */
void nc_names_set_alias(const char *name, const struct nc_names_addrs *a);

#endif

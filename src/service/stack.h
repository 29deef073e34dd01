/*
 * stack.h - lwIP inside the service: one Ethernet interface on the link, the
 * loopback interface (127.0.0.1/8, ::1), timers, and address selection.
 */
#ifndef NETCON_STACK_H
#define NETCON_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
/* Time and random numbers are clock.c's and random.c's; callers find them here too. */
#include "clock.h"
#include "random.h"

struct netif;

/*
 * netcon's MAC prefix: a service without --mac takes 02:6e:63 ("nc", the
 * locally administered bit set, unicast) and three random bytes. On the
 * local switch, frames from such a MAC skip checksum verification (stack.c).
 */
#define NC_MAC_PREFIX0	0x02
#define NC_MAC_PREFIX1	0x6e
#define NC_MAC_PREFIX2	0x63
bool nc_mac_is_netcon(const uint8_t mac[6]);

int nc_stack_init(struct nc_config *cfg);
/* Run lwIP's due timers and drain loopback; returns ms until the next timer. */
int nc_stack_poll(void);
/* A frame from the link (through nc_link_input_frame: 60 bytes or more). */
void nc_stack_input(const uint8_t *frame, size_t len);
/* A buffer for the link to receive the next frame into (see nc_stack_input). */
uint8_t *nc_stack_rx_buffer(size_t size);
struct netif *nc_stack_netif(void);
/* A connection over a link that segments (tap with TSO) sends 16-MSS segments: the agreed MSS, or 0. */
struct tcp_pcb;
uint16_t nc_stack_raise_mss(struct tcp_pcb *pcb);
/* Process loopback traffic until none is left (bounded), @deliver after each round. */
void nc_stack_settle(void (*deliver)(void));
/* The link's addresses, prefixes and gateways (network order addresses). */
void nc_stack_routes(uint32_t *ip4, unsigned *prefix4, bool *gw4, uint8_t ip6[16],
		     unsigned *prefix6, bool *gw6);
/* The loopback interface (127.0.0.1, ::1). */
struct netif *nc_stack_loop(void);
/* True when @addr (network order) is one of the stack's IPv4 addresses. */
bool nc_stack_is_local4(uint32_t addr);

#endif

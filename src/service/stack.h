/*
 * stack.h - lwIP inside the service: one Ethernet interface on the link, the
 * loopback interface (127.0.0.1/8, ::1), timers, and address selection.
 */
#ifndef NETCON_STACK_H
#define NETCON_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct netif;

int nc_stack_init(struct nc_config *cfg);
/* Run lwIP's due timers and drain loopback; returns ms until the next timer. */
int nc_stack_poll(void);
/* A frame from the link. */
void nc_stack_input(const uint8_t *frame, size_t len);
/* A buffer for the link to receive the next frame into (see nc_stack_input). */
uint8_t *nc_stack_rx_buffer(size_t size);
struct netif *nc_stack_netif(void);
uint32_t nc_random_u32(void);
uint64_t nc_now_ms(void);
/* True when @addr (network order) is one of the stack's IPv4 addresses. */
bool nc_stack_is_local4(uint32_t addr);

#endif

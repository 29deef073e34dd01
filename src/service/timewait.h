/*
 * timewait.h - TIME_WAIT connections kept out of lwIP's linear lists
 * (see timewait.c).
 */
#ifndef NETCON_TIMEWAIT_H
#define NETCON_TIMEWAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/ip_addr.h"

/* Once per loop iteration: move old TIME_WAIT PCBs out of lwIP. */
void nc_timewait_drain(void);
/* Register the drain as a loop hook (once, when TCP is set up). */
void nc_timewait_init(void);
/*
 * Did this 4-tuple enter TIME_WAIT less than a second ago and leave lwIP
 * since? (lwIP's tcp_connect() answers for those still in its list.) @lip
 * may be the unspecified address: any local address matches.
 */
bool nc_timewait_recent(const ip_addr_t *lip, uint16_t lport, const ip_addr_t *rip,
			uint16_t rport);
/*
 * Is local port @lport part of any connection in TIME_WAIT that may not be
 * reused yet? Port choice avoids those, as the kernel's does.
 */
bool nc_timewait_port_busy(uint16_t lport);
/*
 * A socket closes its connection @pcb: remember whether it had SO_REUSEADDR,
 * which decides, while the connection finishes closing and in TIME_WAIT,
 * whether a new bind() to its port may share it (Linux: only if both set it).
 */
struct tcp_pcb;
void nc_timewait_note_close(struct tcp_pcb *pcb, bool reuseaddr);
/* Would bind() to @ip:@port (with @reuseaddr) clash with such a connection? */
bool nc_timewait_bind_conflict(const ip_addr_t *ip, uint16_t port, bool reuseaddr);

#endif

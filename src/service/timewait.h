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
/*
 * Did this 4-tuple enter TIME_WAIT less than a second ago and leave lwIP
 * since? (lwIP's tcp_connect() answers for those still in its list.) @lip
 * may be the unspecified address: any local address matches.
 */
bool nc_timewait_recent(const ip_addr_t *lip, uint16_t lport, const ip_addr_t *rip,
			uint16_t rport);
/* Number of 4-tuples this table holds (for status and tests). */
unsigned nc_timewait_count(void);

#endif

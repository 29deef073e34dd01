/*
 * switch.h - the local switch's folder: the host-or-join election, whose
 * folder it is (DIR/.netcon), and the uplink to other hosts it carries.
 */
#ifndef NETCON_SWITCH_H
#define NETCON_SWITCH_H

#include <libvdeplug.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "vswitch.h"

/* Told when the switch's MTU (nc_switch_mtu()) changes. */
typedef void (*nc_switch_mtu_cb)(void);

void nc_switch_init(const struct nc_config *cfg, nc_switch_mtu_cb on_mtu,
		    nc_vswitch_frame_cb on_frame, nc_vswitch_buffer_cb rx_buffer);
int nc_switch_elect(VDECONN **conn, bool *host, char *url, size_t urllen);
void nc_switch_leave(VDECONN *conn, bool was_host);
int nc_switch_tick(bool host);
unsigned nc_switch_mtu(void);
const char *nc_switch_uplink(void);

#endif

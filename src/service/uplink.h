/*
 * uplink.h - the netcon-uplink process the switch's host runs: one more
 * port on the local switch, moving frames to and from other hosts.
 */
#ifndef NETCON_UPLINK_H
#define NETCON_UPLINK_H

#include <stdbool.h>
#include <sys/types.h>

void nc_uplink_start(const char *switch_dir, const char *url, unsigned mtu);
void nc_uplink_stop(void);
void nc_uplink_tick(void);
pid_t nc_uplink_pid(void);

#endif

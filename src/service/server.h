/* server.h - the RPC endpoint programs talk to (a SOCK_SEQPACKET Unix socket). */
#ifndef NETCON_SERVER_H
#define NETCON_SERVER_H

#include "config.h"

/* Check the group and folder (refusing one others control); then serve. */
int nc_server_prepare(const struct nc_config *cfg);
int nc_server_open(const struct nc_config *cfg);
void nc_server_close(void);
unsigned nc_server_clients(void);

#endif

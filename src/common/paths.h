/* paths.h - where a user's service socket and local switch live by default. */
#ifndef NETCON_PATHS_H
#define NETCON_PATHS_H

#include <stddef.h>

/* The per-user folder: $NETCON_DIR, or /tmp/netcon-UID. */
int nc_default_dir(char *buf, size_t len);
/* The service's RPC socket: $NETCON_SOCKET, or DIR/service.sock. */
int nc_default_socket(char *buf, size_t len);
/* The local switch's folder: DIR/switch. */
int nc_default_switch(char *buf, size_t len);

#endif

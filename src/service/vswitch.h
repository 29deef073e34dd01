/*
 * vswitch.h - the local switch, hosted inside the service that won the
 * election (switch.c): VDE's switch protocol for its ports (joined services,
 * vde_plug, the uplink), this service's stack as one more port.
 */
#ifndef NETCON_VSWITCH_H
#define NETCON_VSWITCH_H

#include <stddef.h>
#include <sys/uio.h>
#include <stdint.h>

/* A frame for the hosting service's stack: @len bytes in @buf, which holds @size. */
typedef void (*nc_vswitch_frame_cb)(uint8_t *buf, size_t len, size_t size);
/* A buffer of @size bytes to receive a frame into (the stack's lent pbuf), or NULL. */
typedef uint8_t *(*nc_vswitch_buffer_cb)(size_t size);

/*
 * Create the switch's folder @dir (it must not exist: a second host fails
 * with EEXIST, as vdeplug's switch:// does) with its control socket, and
 * register it in the loop. 0, or -1 with errno.
 */
int nc_vswitch_open(const char *dir, nc_vswitch_frame_cb on_frame, nc_vswitch_buffer_cb rx_buffer);
/* One frame from the hosting stack to the ports it is for. Never blocks. */
void nc_vswitch_sendv(const struct iovec *iov, int n, size_t len);
/* Close every port (joined services see their control connection end) and remove the sockets. */
void nc_vswitch_close(void);

#endif

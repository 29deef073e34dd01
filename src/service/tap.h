/*
 * tap.h - tap://NAME with the kernel's checksum and segmentation offloads
 * (IFF_VNET_HDR): a TCP send of up to 64 KiB arrives in one frame.
 */
#ifndef NETCON_TAP_H
#define NETCON_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

int nc_tap_open(const char *name);
ssize_t nc_tap_recv(int fd, void *buf, size_t len, bool *checked);
ssize_t nc_tap_sendv(int fd, const struct iovec *frame, int n, size_t len, unsigned mtu);

#endif

/* proc.h - what /proc says about this process: where its program is, what a descriptor is. */
#ifndef NETCON_PROC_H
#define NETCON_PROC_H

#include <stdbool.h>
#include <stddef.h>

/* The folder holding this process's program, into @buf. 0, or -1. */
int nc_exe_dir(char *buf, size_t len);
/*
 * @fd is an epoll instance: vdeplug's multiplexing plugins (the switch
 * host, vxvde) hand one out as their data descriptor, and their
 * vde_recv() then blocks until a frame comes.
 */
bool nc_fd_is_epoll(int fd);

#endif

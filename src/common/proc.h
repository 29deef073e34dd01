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
/*
 * Every datagram socket of this process gets @bytes of send and receive
 * room (the FORCE options where allowed, else up to [rw]mem_max): for
 * processes whose datagram sockets all carry frames (a switch's ports, a
 * plugin's own UDP sockets), where a full queue drops frames TCP then waits
 * to resend.
 */
void nc_widen_dgram_sockets(int bytes);
/* The same for one socket @fd. */
void nc_widen_socket(int fd, int bytes);

#endif

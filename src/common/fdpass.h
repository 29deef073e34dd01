/* fdpass.h - one message with at most one descriptor over a Unix socket. */
#ifndef NETCON_FDPASS_H
#define NETCON_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

struct msghdr;
/* Use these for sending, receiving and closing (libnetcon: the C library's own). */
void nc_fdpass_use(ssize_t (*send_fn)(int, const struct msghdr *, int),
		   ssize_t (*recv_fn)(int, struct msghdr *, int), int (*close_fn)(int));

/* Send @len bytes and, if @fd >= 0, the descriptor as SCM_RIGHTS. */
ssize_t nc_send_fd(int sock, const void *buf, size_t len, int fd, int flags);
/* *fd after a message that carried more than one descriptor (all closed). */
#define NC_FD_TOO_MANY (-2)

/*
 * Receive one message into @buf; a descriptor that came with it is stored in
 * *@fd (else -1). A message with more than one descriptor leaves none open
 * and *@fd = NC_FD_TOO_MANY. @flags may hold MSG_CMSG_CLOEXEC and MSG_DONTWAIT.
 */
ssize_t nc_recv_fd(int sock, void *buf, size_t len, int *fd, int flags);

#endif

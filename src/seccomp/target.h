/*
 * target.h - reaching into a supervised program: its memory and its
 * descriptors, for the thread a seccomp notification came from.
 */
#ifndef NETCON_SECCOMP_TARGET_H
#define NETCON_SECCOMP_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * A copy of descriptor @fd of thread @tid, close-on-exec, or -errno
 * (-EBADF: no such descriptor; -EPERM: not allowed to look).
 */
int nc_target_getfd(pid_t tid, int fd);
/* Read or write @len bytes at @addr in @tid's memory: 0, or -EFAULT. */
int nc_target_read(pid_t tid, uint64_t addr, void *buf, size_t len);
int nc_target_write(pid_t tid, uint64_t addr, const void *buf, size_t len);
/*
 * The same for the @n vectors @remote of @tid's (a sendmsg's or recvmsg's),
 * in one system call: @len bytes gathered into @buf, or scattered from it.
 */
int nc_target_readv(pid_t tid, void *buf, size_t len, const struct iovec *remote, size_t n);
int nc_target_writev(pid_t tid, const void *buf, size_t len, const struct iovec *remote, size_t n);

#endif

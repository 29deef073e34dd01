/*
 * target.c - a supervised thread's descriptors and memory.
 *
 * Descriptors are copied with pidfd_getfd() (Linux 5.6): the copy is the
 * same open file, which is all a netcon socket's identity is. Memory is
 * read and written with process_vm_readv()/writev(), which fail where the
 * kernel's own copy would (unmapped or read-only pages: EFAULT). Both need ptrace access to the thread, which
 * a parent has over its children and root over everything; the caller
 * checks the notification is still valid after reading (the thread may have
 * died and its number been reused).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "target.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL	/* Linux 6.9: a pidfd for a thread, not only a leader */
#endif

/* pidfd_of() - a pidfd for @tid: for the thread itself where the kernel can, else its leader's. */
static int pidfd_of(pid_t tid)
{
	int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);

	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_pidfd_open, tid, 0);	/* a leader, before 6.9 */
	if (fd < 0 && errno == EINVAL) {
		/* Another thread before 6.9: its leader shares its descriptors (CLONE_FILES). */
		char path[64], line[128];
		pid_t tgid = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
		f = fopen(path, "re");
		if (!f)
			return -ESRCH;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Tgid: %d", &tgid) == 1)
				break;
		fclose(f);
		if (tgid <= 0)
			return -ESRCH;
		fd = (int)syscall(SYS_pidfd_open, tgid, 0);
	}
	return fd < 0 ? -errno : fd;
}

/*
 * Each receiver thread keeps the pidfd of the last thread it served: most
 * calls come from the thread before. A pidfd names one task for good, so a
 * number reused by a new thread cannot be confused with it: any failure on
 * a kept pidfd is asked again with a fresh one.
 */
static __thread pid_t cached_tid;
static __thread int cached_pidfd = -1;

int nc_target_getfd(pid_t tid, int fd)
{
	int copy, tries;
	bool fresh;

	for (tries = 0; tries < 2; tries++) {
		fresh = cached_pidfd < 0 || cached_tid != tid;
		if (fresh) {
			if (cached_pidfd >= 0)
				close(cached_pidfd);
			cached_pidfd = pidfd_of(tid);
			cached_tid = tid;
			if (cached_pidfd < 0) {
				copy = cached_pidfd;
				cached_pidfd = -1;
				return copy;
			}
		}
		copy = (int)syscall(SYS_pidfd_getfd, cached_pidfd, fd, 0);
		if (copy >= 0)
			return copy;
		if (fresh)
			return -errno;
		/* A kept pidfd's task may be gone (ESRCH, or EBADF for a zombie): ask again. */
		close(cached_pidfd);
		cached_pidfd = -1;
	}
	return -ESRCH;
}

int nc_target_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };

	if (len == 0)
		return 0;
	if (!addr)
		return -EFAULT;
	return process_vm_readv(tid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

int nc_target_write(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { .iov_base = (void *)buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };

	if (len == 0)
		return 0;
	if (!addr)
		return -EFAULT;
	return process_vm_writev(tid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

int nc_target_readv(pid_t tid, void *buf, size_t len, const struct iovec *remote, size_t n)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };

	if (len == 0)
		return 0;
	return process_vm_readv(tid, &local, 1, remote, n, 0) == (ssize_t)len ? 0 : -EFAULT;
}

int nc_target_writev(pid_t tid, const void *buf, size_t len, const struct iovec *remote, size_t n)
{
	struct iovec local = { .iov_base = (void *)buf, .iov_len = len };

	if (len == 0)
		return 0;
	return process_vm_writev(tid, &local, 1, remote, n, 0) == (ssize_t)len ? 0 : -EFAULT;
}

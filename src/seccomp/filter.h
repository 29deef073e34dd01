/*
 * filter.h - the seccomp filter that hands a program's socket control calls
 * to netcon's supervisor, and the calls it traps.
 */
#ifndef NETCON_SECCOMP_FILTER_H
#define NETCON_SECCOMP_FILTER_H

#include <stdbool.h>

/*
 * Install the filter on the calling thread (and what it starts from now on)
 * and return the listener's descriptor, or -errno: -EBUSY when a filter
 * with a listener is already there, -ENOSYS or -EINVAL on a kernel without
 * user notification. PR_SET_NO_NEW_PRIVS is set first, as an unprivileged
 * filter requires. @killable: ask for SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
 * (Linux 5.19), which is retried without when the kernel refuses it.
 */
int nc_filter_install(bool killable);

/* The name of the i-th call trapped whatever its arguments; NULL past the last. */
const char *nc_filter_trapped_name(unsigned i);

#endif

/*
 * supervise.h - the seccomp supervisor: answers the socket calls a filter
 * (filter.c) traps, by doing them with libnetcon's own operations
 * (src/intercept/ops.c) on a copy of the program's descriptor.
 */
#ifndef NETCON_SECCOMP_SUPERVISE_H
#define NETCON_SECCOMP_SUPERVISE_H

#include <stdbool.h>

struct nc_sup;

/* A supervisor with no listener yet; NULL when out of memory. */
struct nc_sup *nc_sup_new(void);
/*
 * Serve the notifications of filter listener @listener (owned from now on;
 * closed when every program under it has gone). @name labels its messages
 * (a program's or a container's name). 0, or -errno.
 */
int nc_sup_add_listener(struct nc_sup *sup, int listener, const char *name);
/*
 * Watch @fd too: @ready runs in the supervisor's loop when it is readable
 * (the OCI agent's socket, where runtimes bring new listeners). While a
 * watch exists the loop runs even with no listener.
 */
int nc_sup_watch(struct nc_sup *sup, int fd, void (*ready)(struct nc_sup *sup, int fd, void *arg),
		 void *arg);
/* Listeners still served. */
unsigned nc_sup_listeners(const struct nc_sup *sup);
/* Run the loop until no listener and no watch is left. 0, or -errno if the loop failed. */
int nc_sup_run(struct nc_sup *sup);

#endif

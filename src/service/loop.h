/*
 * loop.h - the service's event loop: one epoll instance, one callback per
 * registered descriptor, and a hook that runs after every batch of events.
 */
#ifndef NETCON_LOOP_H
#define NETCON_LOOP_H

#include <stdint.h>

struct nc_loop_handler;
typedef void (*nc_loop_cb)(struct nc_loop_handler *h, uint32_t events);

/* Embedded in whatever owns a descriptor; the loop hands it back. */
struct nc_loop_handler {
	int fd;
	uint32_t events;	/* what is registered now */
	nc_loop_cb cb;
	int registered;		/* in the epoll set: nc_loop_del() has work to do */
};

/*
 * After each batch of events the loop runs every subsystem's hook (Redis'
 * before-sleep procedure), phase by phase, in registration order within a
 * phase. A hook returns the longest the loop may sleep before it must run
 * again, in ms, or -1 for no limit: the loop sleeps the least of them.
 */
enum nc_loop_phase {
	NC_PHASE_DELIVER,	/* hand programs what the batch produced (sock.c) */
	NC_PHASE_STACK,		/* lwIP's timers and loopback (stack.c) */
	NC_PHASE_AFTER_STACK,	/* what lwIP produced meanwhile (sock.c), TIME_WAIT (timewait.c) */
	NC_PHASE_LINK,		/* the link's own upkeep (link.c) */
	NC_PHASE_REPLY,		/* answers that waited for the stack to settle (server.c) */
	NC_PHASES
};
typedef int (*nc_loop_hook)(void);
/* Register @hook for @phase; at most a handful per phase. 0, or -1 if full. */
int nc_loop_add_hook(enum nc_loop_phase phase, nc_loop_hook hook);
/* Run every hook once; returns the least sleep they allow (-1: no limit). */
int nc_loop_run_hooks(void);
/* The loop itself: wait (at most @first_timeout_ms at first), dispatch, run the hooks, until stopped. */
void nc_loop_run(int first_timeout_ms);

int nc_loop_init(void);
int nc_loop_add(struct nc_loop_handler *h, int fd, uint32_t events, nc_loop_cb cb);
int nc_loop_mod(struct nc_loop_handler *h, uint32_t events);
void nc_loop_del(struct nc_loop_handler *h);
/* Wait at most @timeout_ms and dispatch what is ready; returns events handled. */
int nc_loop_run_once(int timeout_ms);
void nc_loop_stop(void);
int nc_loop_stopping(void);

#endif

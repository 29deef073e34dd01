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

int nc_loop_init(void);
int nc_loop_add(struct nc_loop_handler *h, int fd, uint32_t events, nc_loop_cb cb);
int nc_loop_mod(struct nc_loop_handler *h, uint32_t events);
void nc_loop_del(struct nc_loop_handler *h);
/* Wait at most @timeout_ms and dispatch what is ready; returns events handled. */
int nc_loop_run_once(int timeout_ms);
void nc_loop_stop(void);
int nc_loop_stopping(void);

#endif

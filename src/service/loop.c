/*
 * loop.c - a tiny epoll loop in the manner of Redis' ae.c. Handlers are owned
 * by their callers; the loop keeps no table of its own.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "../common/log.h"

#define LOOP_BATCH 256
#define HOOKS_PER_PHASE 4

static int epoll_fd = -1;
static volatile int stop_requested;
static struct {
	nc_loop_hook fn[HOOKS_PER_PHASE];
	int n;
} hooks[NC_PHASES];

/* nc_loop_add_hook() - @hook runs after every batch, in @phase (see loop.h). */
int nc_loop_add_hook(enum nc_loop_phase phase, nc_loop_hook hook)
{
	if ((unsigned)phase >= NC_PHASES || hooks[phase].n >= HOOKS_PER_PHASE)
		return -1;
	hooks[phase].fn[hooks[phase].n++] = hook;
	return 0;
}

/* nc_loop_run_hooks() - every hook once, phase by phase; the least sleep they allow. */
int nc_loop_run_hooks(void)
{
	int timeout = -1, p, i, t;

	for (p = 0; p < NC_PHASES; p++) {
		for (i = 0; i < hooks[p].n; i++) {
			t = hooks[p].fn[i]();
			if (t >= 0 && (timeout < 0 || t < timeout))
				timeout = t;
		}
	}
	return timeout;
}

/* nc_loop_run() - wait, dispatch, run the hooks, until nc_loop_stop(). */
void nc_loop_run(int first_timeout_ms)
{
	int timeout = first_timeout_ms;

	while (!stop_requested) {
		nc_loop_run_once(timeout);
		timeout = nc_loop_run_hooks();
	}
}

int nc_loop_init(void)
{
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	return epoll_fd < 0 ? -1 : 0;
}

int nc_loop_add(struct nc_loop_handler *h, int fd, uint32_t events, nc_loop_cb cb)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	h->fd = fd;
	h->events = events;
	h->cb = cb;
	h->registered = epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0;
	return h->registered ? 0 : -1;
}

/* nc_loop_mod() - change what @h waits for; a no-op when nothing changes. */
int nc_loop_mod(struct nc_loop_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	if (h->events == events)
		return 0;
	h->events = events;
	if (!h->registered)
		return -1;
	return epoll_ctl(epoll_fd, EPOLL_CTL_MOD, h->fd, &ev);
}

void nc_loop_del(struct nc_loop_handler *h)
{
	if (h->fd >= 0 && h->registered)
		epoll_ctl(epoll_fd, EPOLL_CTL_DEL, h->fd, NULL);
	h->registered = 0;
	h->events = 0;
}

/*
 * nc_loop_run_once() - one wait and dispatch. A handler may delete itself or
 * others: callers defer freeing to after the batch (see sock.c's reaper).
 */
int nc_loop_run_once(int timeout_ms)
{
	struct epoll_event events[LOOP_BATCH];
	int n, i;

	n = epoll_wait(epoll_fd, events, LOOP_BATCH, timeout_ms);
	if (n < 0) {
		if (errno != EINTR)
			nc_err("epoll_wait: %m");
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct nc_loop_handler *h = events[i].data.ptr;

		if (h->cb)
			h->cb(h, events[i].events);
	}
	return n;
}

void nc_loop_stop(void)
{
	stop_requested = 1;
}

int nc_loop_stopping(void)
{
	return stop_requested;
}

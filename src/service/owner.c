/*
 * owner.c - the per-process socket budget.
 *
 * Every socket costs the service a descriptor, and the service's descriptors
 * are shared by all its programs: one process that opens sockets without end
 * would leave none for the others (and, at the limit, make the service refuse
 * everyone). So a process may hold at most per_process sockets here (half of
 * what the service can hold); past it, socket() says EMFILE, as the kernel
 * does at a process's own limit. Accepted connections are charged to the
 * listener's process. sock.c charges a socket when it makes one and releases
 * the charge when the socket leaves the table.
 */
#include <stdbool.h>
#include <sys/resource.h>

#include "sock_priv.h"
#include "clock.h"
#include "../common/log.h"

#define OWNER_SLOTS	4096	/* processes tracked for the per-process budget */
#define OWNER_GONE	((pid_t)-1)	/* a freed slot: probing goes on past it */

static struct {
	unsigned per_process;		/* most sockets one process may hold here */
	struct owner { pid_t pid; unsigned n; } slots[OWNER_SLOTS];
} own;

/* nc_owner_init() - the budget: half of the service's descriptor limit. */
void nc_owner_init(void)
{
	struct rlimit rl;

	/* Half of what the service can hold, less its own descriptors. */
	own.per_process = getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur > (1u << 30) ?
			  (1u << 29) : (unsigned)(rl.rlim_cur > 192 ? (rl.rlim_cur - 64) / 2 : 64);
}

/* owner_slot() - where probing for @pid starts (Knuth's multiplicative hash). */
static unsigned owner_slot(pid_t pid)
{
	return ((unsigned)pid * 2654435761u) % OWNER_SLOTS;
}

/*
 * owner_count() - @pid's slot (linear probing; a process whose
 * count falls to 0 frees its slot, so a long-lived service is not filled
 * by processes long gone), or NULL if not found and not added.
 */
static struct owner *owner_count(pid_t pid, bool add)
{
	unsigned i, slot = owner_slot(pid);
	int reuse = -1;

	for (i = 0; i < OWNER_SLOTS; i++, slot = (slot + 1) % OWNER_SLOTS) {
		if (own.slots[slot].pid == pid)
			return &own.slots[slot];
		if (own.slots[slot].pid == OWNER_GONE && reuse < 0)
			reuse = (int)slot;
		if (own.slots[slot].pid == 0) {
			if (reuse < 0)
				reuse = (int)slot;
			break;
		}
	}
	if (!add || reuse < 0)
		return NULL;
	own.slots[reuse].pid = pid;
	own.slots[reuse].n = 0;
	return &own.slots[reuse];
}

/*
 * nc_owner_charge() - may @pid have one more socket? Counts it if so. With
 * more live processes than slots, the newcomers go uncounted (and unlimited)
 * rather than refused.
 */
bool nc_owner_charge(pid_t pid)
{
	static uint64_t said_ms;
	struct owner *o = owner_count(pid, true);

	if (!o)
		return true;
	if (o->n < own.per_process) {
		o->n++;
		return true;
	}
	if (nc_now_ms() - said_ms > 10000) {
		said_ms = nc_now_ms();
		nc_warn("process %d reached its limit of %u sockets in this service: refusing more (EMFILE)",
			(int)pid, own.per_process);
	}
	return false;
}

/* nc_owner_release() - @pid let a socket go; its slot is freed with its last. */
void nc_owner_release(pid_t pid)
{
	struct owner *o = owner_count(pid, false);

	if (o && o->n && --o->n == 0)
		o->pid = OWNER_GONE;
}

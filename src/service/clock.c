/*
 * clock.c - monotonic time for the whole service, and lwIP's sys_now().
 *
 * Everything that measures time in the service (lwIP's timers, TIME_WAIT
 * expiry, zombie sockets, rate-limited warnings, the ISN clock) reads
 * CLOCK_MONOTONIC through here, so a change of the wall clock moves none of it.
 */
#include <time.h>

#include "lwip/sys.h"

#include "clock.h"

/* now_ts() - the current monotonic time. */
static struct timespec now_ts(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

/* nc_now_ms() - milliseconds since an arbitrary point (boot). */
uint64_t nc_now_ms(void)
{
	struct timespec ts = now_ts();

	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* nc_now_us() - microseconds on the same clock. */
uint64_t nc_now_us(void)
{
	struct timespec ts = now_ts();

	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* sys_now() - lwIP's clock (NO_SYS), in milliseconds; wraps as lwIP expects. */
u32_t sys_now(void)
{
	return (u32_t)nc_now_ms();
}

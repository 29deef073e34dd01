/*
 * clock.h - the service's one clock: monotonic time for timers, timeouts,
 * rate-limited warnings and lwIP (sys_now()).
 */
#ifndef NETCON_CLOCK_H
#define NETCON_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC (never jumps with the wall clock). */
uint64_t nc_now_ms(void);
/* Microseconds on the same clock, for RFC 6528's 4 µs ISN ticks. */
uint64_t nc_now_us(void);

#endif

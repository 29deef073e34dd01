/*
 * random.h - the service's random numbers: a fast generator for port choice,
 * MACs, addresses, frame loss and lwIP (LWIP_RAND), and keys straight from
 * the kernel.
 */
#ifndef NETCON_RANDOM_H
#define NETCON_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Seed the generator from getrandom(); -1 (errno set) if the kernel has none. */
int nc_random_init(void);
/* The next pseudo-random 32 bits (not for keys). */
uint32_t nc_random_u32(void);
/* Fill @buf with @len bytes from getrandom(), for secret keys; -1 on failure. */
int nc_random_key(void *buf, size_t len);

#endif

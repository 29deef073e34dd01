/*
 * random.c - random numbers for the service.
 *
 * Two kinds: secret keys (the ISN hash key) come from getrandom() directly;
 * everything else that only needs to be unpredictable enough and fast
 * (ephemeral ports, a MAC, the IPv4 address probe, simulated frame loss,
 * lwIP's LWIP_RAND for its own ports and IDs) comes from splitmix64, seeded
 * once from getrandom() by nc_random_init().
 */
#include <errno.h>
#include <sys/random.h>

#include "random.h"

static uint64_t rng;	/* splitmix64's state */

/* nc_random_init() - seed the generator from the kernel. */
int nc_random_init(void)
{
	return nc_random_key(&rng, sizeof(rng));
}

/* nc_random_u32() - splitmix64, seeded from getrandom() at start. */
uint32_t nc_random_u32(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 16);
}

/* netcon_random_u32() - LWIP_RAND (lwipopts.h, declared in arch/cc.h). */
uint32_t netcon_random_u32(void);
uint32_t netcon_random_u32(void)
{
	return nc_random_u32();
}

/* nc_random_key() - @len bytes of key material, all of them or an error. */
int nc_random_key(void *buf, size_t len)
{
	ssize_t n = getrandom(buf, len, 0);

	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

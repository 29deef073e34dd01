/* arch/cc.h - lwIP's compiler and platform glue for netcon (Linux, glibc). */
#ifndef NETCON_ARCH_CC_H
#define NETCON_ARCH_CC_H

#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
#include <sys/time.h>
#include <arpa/inet.h>

/* The C library's byte order functions, not lwIP's own copies. */
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1
#define lwip_htons(x) htons(x)
#define lwip_htonl(x) htonl(x)

#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_NO_UNISTD_H 0

uint32_t netcon_random_u32(void);
void netcon_lwip_assert(const char *msg, const char *file, int line);
void netcon_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An assertion inside lwIP is logged; the service carries on (no peer may abort it). */
#define LWIP_PLATFORM_ASSERT(x) netcon_lwip_assert((x), __FILE__, __LINE__)
#define LWIP_PLATFORM_DIAG(x) do { netcon_lwip_diag x; } while (0)

#endif

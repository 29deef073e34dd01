/*
 * sanitize.c - only in sanitizer builds (make SAN=1): vdeplug loads its
 * plugins with RTLD_DEEPBIND, which AddressSanitizer refuses. The service
 * exports its own dlopen() that drops the flag and hands over to the real one
 * (or ASan's); plugins resolve fine without it.
 */
#ifdef NETCON_SANITIZE
#include <dlfcn.h>

__attribute__((visibility("default"))) void *dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "dlopen");
	return real(file, mode & ~RTLD_DEEPBIND);
}
#else
/* An empty translation unit is not ISO C. */
typedef int netcon_sanitize_unused;
#endif

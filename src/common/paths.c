/* paths.c - default locations, shared by the service, the intercept and tools. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "paths.h"

/* fits() - snprintf's result as 0 when it fitted, -1 when it was cut. */
static int fits(int n, size_t len)
{
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int nc_default_dir(char *buf, size_t len)
{
	const char *env = getenv("NETCON_DIR");

	if (env && *env)
		return fits(snprintf(buf, len, "%s", env), len);
	return fits(snprintf(buf, len, "/tmp/netcon-%u", (unsigned)getuid()), len);
}

int nc_default_socket(char *buf, size_t len)
{
	const char *env = getenv("NETCON_SOCKET");
	char dir[200];

	if (env && *env)
		return fits(snprintf(buf, len, "%s", env), len);
	if (nc_default_dir(dir, sizeof(dir)))
		return -1;
	return fits(snprintf(buf, len, "%s/service.sock", dir), len);
}

int nc_default_switch(char *buf, size_t len)
{
	char dir[200];

	if (nc_default_dir(dir, sizeof(dir)))
		return -1;
	return fits(snprintf(buf, len, "%s/switch", dir), len);
}

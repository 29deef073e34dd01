/* libc.c - resolve the C library's functions that libnetcon overrides. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "libc.h"
#include "../common/fdpass.h"

struct nc_libc nc_libc;

#define RESOLVE(name)								\
	do {									\
		*(void **)&nc_libc.name = dlsym(RTLD_NEXT, #name);		\
	} while (0)

/* nc_libc_init() - idempotent; called by the constructor and by first use. */
void nc_libc_init(void)
{
	if (nc_libc.socket)
		return;
	RESOLVE(bind);
	RESOLVE(listen);
	RESOLVE(accept);
	RESOLVE(accept4);
	RESOLVE(connect);
	RESOLVE(getsockname);
	RESOLVE(getpeername);
	RESOLVE(getsockopt);
	RESOLVE(setsockopt);
	RESOLVE(shutdown);
	RESOLVE(close);
	RESOLVE(close_range);
	RESOLVE(dup);
	RESOLVE(dup2);
	RESOLVE(dup3);
	RESOLVE(sendto);
	RESOLVE(sendmsg);
	RESOLVE(sendmmsg);
	RESOLVE(recvmmsg);
	RESOLVE(write);
	RESOLVE(writev);
	RESOLVE(fcntl);
	RESOLVE(fcntl64);
	RESOLVE(syscall);
	RESOLVE(ioctl);
	RESOLVE(read);
	RESOLVE(readv);
	RESOLVE(recv);
	RESOLVE(recvfrom);
	RESOLVE(recvmsg);
	if (nc_libc.sendmsg && nc_libc.recvmsg && nc_libc.close)
		nc_fdpass_use(nc_libc.sendmsg, nc_libc.recvmsg, nc_libc.close);
	RESOLVE(socket);	/* last: it marks the table complete */
	if (!nc_libc.socket || !nc_libc.close || !nc_libc.syscall || !nc_libc.fcntl ||
	    !nc_libc.write) {
		static const char msg[] = "libnetcon: cannot find the C library's socket functions\n";

		if (nc_libc.write && nc_libc.write(2, msg, sizeof(msg) - 1) < 0)
			_exit(127);
		_exit(127);
	}
}

/* fdpass.c - SCM_RIGHTS helpers shared by the service and the intercept. */
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fdpass.h"

/*
 * The calls used: the C library's. libnetcon replaces them with the C
 * library's originals (nc_fdpass_use), so that its own RPC traffic never
 * passes through the wrappers it exports to the program.
 */
static struct {
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	int (*close)(int);
} io = { sendmsg, recvmsg, close };

void nc_fdpass_use(ssize_t (*send_fn)(int, const struct msghdr *, int),
		   ssize_t (*recv_fn)(int, struct msghdr *, int), int (*close_fn)(int))
{
	io.sendmsg = send_fn;
	io.recvmsg = recv_fn;
	io.close = close_fn;
}

ssize_t nc_send_fd(int sock, const void *buf, size_t len, int fd, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	return io.sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
}

ssize_t nc_recv_fd(int sock, void *buf, size_t len, int *fd, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	int extra = 0;

	*fd = -1;
	n = io.recvmsg(sock, &msg, flags);
	if (n < 0)
		return n;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		size_t count, i;
		int got;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < count; i++) {
			memcpy(&got, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = got;
			else {
				io.close(got);
				extra = 1;
			}
		}
	}
	if (extra || (msg.msg_flags & MSG_CTRUNC)) {
		/* More than one, or more than fit: the kernel dropped some. Say so. */
		if (*fd >= 0)
			io.close(*fd);
		*fd = NC_FD_TOO_MANY;
	}
	return n;
}

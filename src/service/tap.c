/*
 * tap.c - tap://NAME opened by netcon itself, with the kernel's offloads.
 *
 * vdeplug's tap:// moves one MTU-sized frame per read() and write(). A tap
 * opened with IFF_VNET_HDR and TUNSETOFFLOAD(CSUM, TSO4, TSO6) instead lets
 * the kernel hand over a whole TCP send (up to 64 KiB, cut at its MSS later
 * only if it were a wire) in one read, with a virtio-net header in front,
 * and skip the checksum of what it sends: the device's MTU stays what it
 * is (1500), only the work per byte drops, as for a virtio NIC in a VM.
 *
 * A frame read carries one of: a checksum the kernel left for the device
 * to fill (VIRTIO_NET_HDR_F_NEEDS_CSUM: the field holds the pseudo-header's
 * sum only), one it says it checked (F_DATA_VALID), or an ordinary frame.
 * The first two are not to be verified again; nc_tap_recv() says which.
 * What netcon writes carries an empty header: lwIP's frames are complete,
 * each at most the device's MTU.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tap.h"

/*
 * nc_tap_open() - the tap device NAME (created if missing, which needs
 * CAP_NET_ADMIN or a tap made for us), non-blocking, with offloads.
 * Returns its descriptor, or -1 with errno set.
 */
int nc_tap_open(const char *name)
{
	unsigned offload = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	int hdr = (int)sizeof(struct virtio_net_hdr);
	struct ifreq ifr;
	int fd, err;

	if (strlen(name) >= IFNAMSIZ || !*name) {
		errno = EINVAL;
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, offload) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * nc_tap_recv() - one frame into @buf (at most @len bytes); *@checked says
 * whether the kernel vouches for its checksums (or left them unfilled).
 * Returns the frame's length, or -1 with errno (EAGAIN: none waiting).
 */
ssize_t nc_tap_recv(int fd, void *buf, size_t len, bool *checked)
{
	struct virtio_net_hdr vh;
	struct iovec iov[2] = {
		{ .iov_base = &vh, .iov_len = sizeof(vh) },
		{ .iov_base = buf, .iov_len = len },
	};
	ssize_t n = readv(fd, iov, 2);

	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(vh)) {
		errno = EPROTO;
		return -1;
	}
	*checked = vh.flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID);
	return n - (ssize_t)sizeof(vh);
}

/* nc_tap_send() - one complete frame out (no offload asked for). */
ssize_t nc_tap_send(int fd, const void *frame, size_t len)
{
	static const struct virtio_net_hdr none;
	struct iovec iov[2] = {
		{ .iov_base = (void *)&none, .iov_len = sizeof(none) },
		{ .iov_base = (void *)frame, .iov_len = len },
	};
	ssize_t n = writev(fd, iov, 2);

	return n < 0 ? -1 : n - (ssize_t)sizeof(none);
}

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
 *
 * The other way, a TCP segment larger than the device's MTU (stack.c raises
 * the MSS of connections over such a tap, lwip/tso.h keeps lwIP from
 * fragmenting them) goes as one frame with a GSO header: the kernel takes
 * it whole, as a virtio NIC's, and cuts it at the MSS only if it forwards
 * it. Its checksum is then the device's to fill: the frame carries the
 * pseudo-header's sum in its place, as the kernel's own TSO sends do.
 * Every other frame carries an empty header.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tap.h"
#include "iobuf.h"

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

#define ETH_HLEN	14
#define TCP_CHECK_AT	16	/* the checksum's offset in a TCP header */

/* sum16() - the ones' complement sum of @len bytes (even) as 16-bit words in network order. */
static uint32_t sum16(const uint8_t *b, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	return sum;
}

/*
 * gso_prepare() - for a TCP segment in @frame longer than @mtu allows:
 * the GSO header in @vh, and in @hdr a copy of its headers with the
 * checksum replaced by the pseudo-header's sum. Returns the headers'
 * length, or 0 if the frame is not such a segment (sent as it is).
 */
static size_t gso_prepare(const uint8_t *f, size_t len, unsigned mtu,
			  struct virtio_net_hdr *vh, uint8_t *hdr, size_t hdrmax)
{
	size_t iphl, thl, tcplen;
	uint32_t sum;
	unsigned type = (unsigned)f[12] << 8 | f[13];

	if (len <= ETH_HLEN + mtu || len < ETH_HLEN + 40)
		return 0;
	if (type == 0x0800 && f[23] == 6) {
		iphl = (size_t)(f[14] & 0x0f) * 4;
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	} else if (type == 0x86dd && f[20] == 6) {
		iphl = 40;
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	} else {
		return 0;
	}
	if (iphl < 20 || len < ETH_HLEN + iphl + 20)
		return 0;
	thl = (size_t)(f[ETH_HLEN + iphl + 12] >> 4) * 4;
	if (thl < 20 || ETH_HLEN + iphl + thl > hdrmax || ETH_HLEN + iphl + thl >= len ||
	    mtu <= iphl + thl)
		return 0;
	tcplen = len - ETH_HLEN - iphl;
	if (vh->gso_type == VIRTIO_NET_HDR_GSO_TCPV4)
		sum = sum16(f + ETH_HLEN + 12, 8, 6 + (uint32_t)tcplen);
	else
		sum = sum16(f + ETH_HLEN + 8, 32, 6 + (uint32_t)(tcplen >> 16) + (uint32_t)(tcplen & 0xffff));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	memcpy(hdr, f, ETH_HLEN + iphl + thl);
	hdr[ETH_HLEN + iphl + TCP_CHECK_AT] = (uint8_t)(sum >> 8);
	hdr[ETH_HLEN + iphl + TCP_CHECK_AT + 1] = (uint8_t)sum;
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->hdr_len = (uint16_t)(ETH_HLEN + iphl + thl);
	vh->gso_size = (uint16_t)(mtu - iphl - thl);
	vh->csum_start = (uint16_t)(ETH_HLEN + iphl);
	vh->csum_offset = TCP_CHECK_AT;
	return ETH_HLEN + iphl + thl;
}

/*
 * nc_tap_sendv() - one frame out, in @n pieces of @len bytes in all (the
 * first holds every header): as it is, or, for a TCP segment longer than
 * @mtu allows, whole with a GSO header (see the top of the file).
 */
ssize_t nc_tap_sendv(int fd, const struct iovec *frame, int n, size_t len, unsigned mtu)
{
	struct virtio_net_hdr vh;
	uint8_t hdr[ETH_HLEN + 60 + 60];
	struct iovec iov[2 + NC_FRAME_PIECES];
	size_t hl = 0, first = frame[0].iov_len;
	ssize_t sent;
	int cnt = 0, i;

	if (n < 1 || n > NC_FRAME_PIECES) {
		errno = EINVAL;
		return -1;
	}
	memset(&vh, 0, sizeof(vh));
	iov[cnt++] = (struct iovec){ .iov_base = &vh, .iov_len = sizeof(vh) };
	if (first >= ETH_HLEN + 40)
		hl = gso_prepare(frame[0].iov_base, len, mtu, &vh, hdr,
				 first < sizeof(hdr) ? first : sizeof(hdr));
	if (hl)
		iov[cnt++] = (struct iovec){ .iov_base = hdr, .iov_len = hl };
	if (first > hl)
		iov[cnt++] = (struct iovec){ .iov_base = (uint8_t *)frame[0].iov_base + hl,
					     .iov_len = first - hl };
	for (i = 1; i < n; i++)
		iov[cnt++] = frame[i];
	sent = writev(fd, iov, cnt);
	return sent < 0 ? -1 : sent - (ssize_t)sizeof(vh);
}

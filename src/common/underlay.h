/*
 * underlay.h - what an encapsulating link costs: the MTU left for the
 * virtual network's IP packets once a frame is wrapped for the network that
 * carries it (VXLAN over UDP for vxvde://, tinc's UDP for uml://).
 */
#ifndef NETCON_UNDERLAY_H
#define NETCON_UNDERLAY_H

#include <stddef.h>

/* VXLAN (8) + UDP (8) + IPv4 (20) or IPv6 (40) + the inner Ethernet header (14). */
#define NC_VXLAN_OVERHEAD4	50
#define NC_VXLAN_OVERHEAD6	70
/*
 * tinc 1.0 (switch mode) wraps a frame in UDP (28) with a sequence number
 * (4), cipher padding (up to 8) and a MAC (4), and finds the path's MTU
 * itself; a frame over what it found goes its slow TCP way. 1400 leaves
 * room for that on any 1500-byte underlay.
 */
#define NC_UML_MTU		1400
/* The most a vdeplug frame carries (VDE_ETHBUFSIZE is 9216 with headers). */
#define NC_FRAME_MTU_MAX	9000
/*
 * The local switch's MTU. Its frames are datagrams of Unix sockets, which
 * carry far more than vdeplug's 9 KiB (the switch, vswitch.c, forwards
 * whatever its buffer holds): one frame per 64 KiB TCP segment makes the
 * switch's per-frame costs (a wake-up, a system call per hop) 7 times
 * rarer than at 9000. A vdeplug client on the switch (vde_plug, a tap)
 * still gets its own MTU's segments: TCP's MSS comes from each end.
 */
#define NC_SWITCH_MTU		65000
/*
 * The largest frame taken from a link: a pbuf's 16-bit length. It holds
 * NC_SWITCH_MTU with Ethernet and a VLAN tag, and the kernel's 64 KiB TCP
 * sends through a tap with offloads (tap.c).
 */
#define NC_LINK_FRAME_MAX	65535

/*
 * nc_underlay_mtu() - for a vdeplug URL that encapsulates (vxvde://,
 * uml://), the largest IP packet the virtual network can carry without the
 * underlay fragmenting it; 0 for a link that does not encapsulate. @why
 * (optional) says how it was found, for the log.
 */
unsigned nc_underlay_mtu(const char *url, char *why, size_t whylen);

#endif

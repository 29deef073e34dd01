/*
 * underlay.c - the MTU an encapsulating link leaves (see underlay.h).
 *
 * vxvde:// sends each frame as one VXLAN datagram to a multicast group (or
 * to a peer it has learnt): the kernel fragments a datagram over the route's
 * MTU, and real networks drop fragments. The route to the group says which
 * interface carries it (or if=NAME does), and so its MTU.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "underlay.h"

#define VXVDE_GROUP4	"239.0.0.1"	/* vdeplug's defaults */
#define VXVDE_GROUP6	"ff05:56de::1"
#define VXVDE_PORT	14789

/* iface_mtu() - /sys/class/net/NAME/mtu, 0 if unknown. */
static unsigned iface_mtu(const char *name)
{
	char path[128];
	unsigned mtu = 0;
	FILE *f;

	if (!*name || strchr(name, '/') || strlen(name) > 32)
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%u", &mtu) != 1)
		mtu = 0;
	fclose(f);
	return mtu;
}

/* route_mtu() - the MTU of the route to @addr (a connected UDP socket's IP_MTU), 0 if none. */
static unsigned route_mtu(int family, const void *addr)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
	socklen_t len = sizeof(int);
	int fd, mtu = 0;

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_port = htons(VXVDE_PORT);
		memcpy(&sin->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_port = htons(VXVDE_PORT);
		memcpy(&sin6->sin6_addr, addr, 16);
	}
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&ss, family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6)) ||
	    getsockopt(fd, family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
		       family == AF_INET ? IP_MTU : IPV6_MTU, &mtu, &len))
		mtu = 0;
	close(fd);
	return mtu > 0 ? (unsigned)mtu : 0;
}

/*
 * vxvde_mtu() - vxvde://[GROUP][/OPTION...]: options v4, v6, if=NAME
 * matter here (the others - port, vni, ttl... - do not change the size).
 */
static unsigned vxvde_mtu(const char *spec, char *why, size_t whylen)
{
	char group[64] = "", ifname[40] = "", buf[256];
	bool v6 = false, first;
	char *save = NULL, *tok;
	uint8_t addr[16];
	unsigned under, overhead;
	int family;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, "/", &save), first = spec[0] != '/'; tok;
	     tok = strtok_r(NULL, "/", &save), first = false) {
		if (first)
			snprintf(group, sizeof(group), "%s", tok);
		else if (!strcmp(tok, "v6"))
			v6 = true;
		else if (!strncmp(tok, "if=", 3))
			snprintf(ifname, sizeof(ifname), "%s", tok + 3);
	}
	if (!*group)
		snprintf(group, sizeof(group), "%s", v6 ? VXVDE_GROUP6 : VXVDE_GROUP4);
	if (inet_pton(AF_INET, group, addr) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, group, addr) == 1)
		family = AF_INET6;
	else
		family = 0;
	overhead = family == AF_INET6 ? NC_VXLAN_OVERHEAD6 : NC_VXLAN_OVERHEAD4;
	if (*ifname && (under = iface_mtu(ifname))) {
		snprintf(why, whylen, "%s's MTU %u minus VXLAN's %u", ifname, under, overhead);
	} else if (family && (under = route_mtu(family, addr))) {
		snprintf(why, whylen, "the route to %s: MTU %u minus VXLAN's %u", group, under, overhead);
	} else {
		under = 1500;
		snprintf(why, whylen, "no route to %s known: Ethernet's 1500 minus VXLAN's %u",
			 group, overhead);
	}
	if (under > overhead + NC_FRAME_MTU_MAX)
		return NC_FRAME_MTU_MAX;	/* vdeplug's frames stop there anyway */
	return under > overhead + 1280 ? under - overhead : 1280;
}

unsigned nc_underlay_mtu(const char *url, char *why, size_t whylen)
{
	char scratch[160];

	if (!why || !whylen) {
		why = scratch;
		whylen = sizeof(scratch);
	}
	*why = '\0';
	if (!strncmp(url, "vxvde://", 8))
		return vxvde_mtu(url + 8, why, whylen);
	if (!strncmp(url, "uml://", 6)) {
		snprintf(why, whylen, "tinc over UDP on a 1500-byte underlay");
		return NC_UML_MTU;
	}
	return 0;
}

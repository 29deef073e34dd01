/* addr.c - socket addresses to and from lwIP's ip_addr_t (see addr.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "addr.h"

int nc_addr_from_sockaddr(const void *sa, uint32_t len, int domain, ip_addr_t *ip,
			  uint16_t *port, bool *mapped)
{
	sa_family_t family;

	*mapped = false;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	memcpy(&family, sa, sizeof(family));
	if (domain == AF_INET) {
		struct sockaddr_in sin;

		if (family != AF_INET)
			return -EAFNOSUPPORT;
		if (len < sizeof(sin))
			return -EINVAL;
		memcpy(&sin, sa, sizeof(sin));
		ip_addr_set_ip4_u32_val(*ip, sin.sin_addr.s_addr);
		*port = ntohs(sin.sin_port);
		return 0;
	}
	if (family != AF_INET6 || len < sizeof(struct sockaddr_in6))
		return -EINVAL;
	{
		struct sockaddr_in6 sin6;

		memcpy(&sin6, sa, sizeof(sin6));
		*port = ntohs(sin6.sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
			uint32_t v4;

			memcpy(&v4, &sin6.sin6_addr.s6_addr[12], 4);
			ip_addr_set_ip4_u32_val(*ip, v4);
			*mapped = true;
			return 0;
		}
		IP_SET_TYPE_VAL(*ip, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(ip)->addr, &sin6.sin6_addr, 16);
		ip6_addr_clear_zone(ip_2_ip6(ip));
	}
	return 0;
}

uint32_t nc_addr_to_sockaddr(const ip_addr_t *ip, uint16_t port, int domain, void *sa)
{
	if (domain == AF_INET) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

		if (IP_IS_V4(ip))
			sin.sin_addr.s_addr = ip4_addr_get_u32(ip_2_ip4(ip));
		memcpy(sa, &sin, sizeof(sin));
		return sizeof(sin);
	}
	{
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

		if (IP_IS_V4(ip) && !ip_addr_isany(ip)) {
			uint32_t v4 = ip4_addr_get_u32(ip_2_ip4(ip));

			sin6.sin6_addr.s6_addr[10] = 0xff;
			sin6.sin6_addr.s6_addr[11] = 0xff;
			memcpy(&sin6.sin6_addr.s6_addr[12], &v4, 4);
		} else if (IP_IS_V6(ip)) {
			memcpy(&sin6.sin6_addr, ip_2_ip6(ip)->addr, 16);
		}
		memcpy(sa, &sin6, sizeof(sin6));
		return sizeof(sin6);
	}
}

const char *nc_addr_str(const ip_addr_t *ip, uint16_t port)
{
	static char buf[INET6_ADDRSTRLEN + 10];
	char a[INET6_ADDRSTRLEN] = "?";

	if (IP_IS_V4(ip)) {
		uint32_t v4 = ip4_addr_get_u32(ip_2_ip4(ip));

		inet_ntop(AF_INET, &v4, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%s:%u", a, port);
	} else {
		inet_ntop(AF_INET6, ip_2_ip6(ip)->addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), "[%s]:%u", a, port);
	}
	return buf;
}

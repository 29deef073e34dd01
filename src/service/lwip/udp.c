/*
 * lwip/udp.c - lwIP's UDP (core/udp.c), compiled with all of 127.0.0.0/8
 * belonging to the loopback interface, as on Linux (see lwip/lo8.h, and
 * lwip/ip4.c for the IPv4 layer).
 *
 * ip4_addr_cmp() is redefined (lwip/lo8.h). In udp.c it compares
 *   - in udp_sendto_if(), a bound socket's address with the outgoing
 *     interface's: a socket bound to 127.0.0.5 may send to 127.0.0.2 through
 *     the loopback interface (it was ERR_RTE, the datagram dropped);
 *   - in udp_input(), for a datagram no socket takes, its destination with
 *     the interface's address: one to 127.0.0.9 is answered with port
 *     unreachable, so a connected socket there reads ECONNREFUSED;
 *   - for a datagram to 255.255.255.255, a socket's address with the
 *     interface's (which of two sockets gets it);
 *   - a multicast interface address with 255.255.255.255, untouched.
 * The sockets' demultiplexing (ip_addr_cmp() of a PCB's addresses with the
 * datagram's) compares no interface's address: exact, as before.
 *
 * The Makefile builds this file as it builds lwIP (its flags, no warnings)
 * in place of the original udp.c.
 */
#include "lwip/opt.h"
#include "lwip/udp.h"
#include "lwip/def.h"
#include "lwip/memp.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip_addr.h"
#include "lwip/ip6.h"
#include "lwip/ip6_addr.h"
#include "lwip/netif.h"
#include "lwip/icmp.h"
#include "lwip/icmp6.h"
#include "lwip/stats.h"
#include "lwip/snmp.h"
#include "lwip/dhcp.h"
#include <string.h>

#include "lo8.h"

#include "core/udp.c"

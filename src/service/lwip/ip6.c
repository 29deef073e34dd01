/*
 * lwip/ip6.c - lwIP's IPv6 layer (core/ipv6/ip6.c), compiled so that a TCP
 * segment larger than the interface's MTU may leave whole on an interface
 * that segments for us (a tap with TSO, see lwip/tso.h and tap.c), instead
 * of being cut into IPv6 fragments. Everything else is lwIP's own.
 *
 * Every header ip6.c includes is included first, so that the redefinition
 * of ip6_frag() reaches only ip6.c's own call. The Makefile builds this
 * file as it builds lwIP (its flags, no warnings) in place of the original.
 */
#include "lwip/opt.h"
#include "lwip/def.h"
#include "lwip/mem.h"
#include "lwip/netif.h"
#include "lwip/ip.h"
#include "lwip/ip6.h"
#include "lwip/ip6_addr.h"
#include "lwip/ip6_frag.h"
#include "lwip/icmp6.h"
#include "lwip/priv/raw_priv.h"
#include "lwip/udp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/dhcp6.h"
#include "lwip/nd6.h"
#include "lwip/mld6.h"
#include "lwip/debug.h"
#include "lwip/stats.h"
#ifdef LWIP_HOOK_FILENAME
#include LWIP_HOOK_FILENAME
#endif

#include "tso.h"

#define ip6_frag(p, netif, dest) nc_ip6_frag_or_tso((p), (netif), (dest))

#include "core/ipv6/ip6.c"

/*
 * lwip/ip4.c - lwIP's IPv4 layer (core/ipv4/ip4.c), compiled with all of
 * 127.0.0.0/8 belonging to the loopback interface, as on Linux.
 *
 * On Linux every address of 127.0.0.0/8 is local: a program binds, listens
 * on, connects to 127.0.0.2 or 127.1.2.3, and a connection to one where
 * nobody listens is refused at once (RST). lwIP routes 127/8 to its loopback
 * interface (127.0.0.1/8) and loops the packets back, but ip4_input() then
 * accepts on it only 127.0.0.1 (static ip4_input_accept(): the destination
 * must be the interface's address or a broadcast) and, with
 * LWIP_HAVE_LOOPIF, does not look further for a loopback destination: the
 * segments are dropped and connect() hangs.
 *
 * The wrapper compiles lwIP's own ip4.c, not a copy, with ip4_addr_cmp()
 * redefined (lwip/lo8.h: two addresses of 127/8 are equal if one of them is
 * an interface's own address). In ip4.c it compares
 *   - a packet's destination with an interface's address (ip4_input_accept):
 *     the loopback interface, the only one with an address of 127/8, now
 *     accepts the whole block; the link's interface still accepts none of it
 *     (a martian from the wire stays dropped);
 *   - ip4_output_if()'s destination with the interface's address: on the
 *     loopback interface a packet to 127/8 is looped back, as its output
 *     function did anyway;
 *   - ip4_route()'s destination with a point-to-point interface's gateway:
 *     not an interface's address, so exact as before (127/8 routes to the
 *     loopback interface by its netmask, 255.0.0.0, already);
 *   - the destination with 224.0.0.1 (IGMP), untouched.
 * Source addresses need nothing here: an unbound socket sends to 127/8 from
 * the loopback interface's 127.0.0.1 (Linux: the route's "src 127.0.0.1"),
 * a bound one from its own address, and a reply or RST from the address the
 * segment was sent to.
 *
 * Every header ip4.c includes is included first, so that the redefinition
 * reaches only ip4.c's own code. The Makefile builds this file as it builds
 * lwIP (its flags, no warnings) in place of the original ip4.c.
 */
#include "lwip/opt.h"
#include "lwip/ip.h"
#include "lwip/def.h"
#include "lwip/mem.h"
#include "lwip/ip4_frag.h"
#include "lwip/inet_chksum.h"
#include "lwip/netif.h"
#include "lwip/icmp.h"
#include "lwip/igmp.h"
#include "lwip/priv/raw_priv.h"
#include "lwip/udp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/autoip.h"
#include "lwip/stats.h"
#include "lwip/prot/iana.h"
#include <string.h>
#ifdef LWIP_HOOK_FILENAME
#include LWIP_HOOK_FILENAME
#endif

#include "lo8.h"
#include "tso.h"

/* A TCP segment for an interface with TSO leaves whole (lwip/tso.h). */
#define ip4_frag(p, netif, dest) nc_ip4_frag_or_tso((p), (netif), (dest))

#include "core/ipv4/ip4.c"

/*
 * lwipopts.h - how netcon configures lwIP.
 *
 * The service owns the stack from one thread and one event loop (NO_SYS=1): it
 * feeds frames in, drives the timers and polls loopback itself. Memory comes
 * from malloc so the number of connections is bounded by memory, not by pools.
 * Windows are large and scaled, SACK and timestamps are on, and the MSS
 * follows each interface's MTU so local links carry jumbo segments.
 */
#ifndef NETCON_LWIPOPTS_H
#define NETCON_LWIPOPTS_H

#define NO_SYS                          1
#define SYS_LIGHTWEIGHT_PROT            0
#define LWIP_NETCONN                    0
#define LWIP_SOCKET                     0
#define LWIP_TIMERS                     1

/* Memory: the C library's allocator for everything. */
#define MEM_LIBC_MALLOC                 1
#define MEMP_MEM_MALLOC                 1
#define MEM_ALIGNMENT                   8
#define MEMP_NUM_SYS_TIMEOUT            16

/* Protocols. */
#define LWIP_IPV4                       1
#define LWIP_IPV6                       1
#define LWIP_ARP                        1
#define LWIP_ETHERNET                   1
#define LWIP_ICMP                       1
#define LWIP_RAW                        1   /* ICMP echo sockets (ping) */
#define LWIP_UDP                        1
#define LWIP_TCP                        1
#define LWIP_DHCP                       0
#define LWIP_AUTOIP                     0
#define LWIP_IGMP                       1   /* IPv4 multicast groups */
#define LWIP_DNS                        0
#define IP_FORWARD                      0
#define LWIP_MULTICAST_TX_OPTIONS       1   /* IP_MULTICAST_IF/TTL/LOOP */
#define IP_SOF_BROADCAST                1   /* broadcast only with SO_BROADCAST */
#define IP_SOF_BROADCAST_RECV           0   /* Linux delivers broadcasts to every socket */
#define SO_REUSE_RXTOALL                1   /* ... and multicasts to every socket on the port */
#define IP_REASSEMBLY                   1
#define IP_FRAG                         1
/*
 * Fragments held for reassembly, all datagrams together (IPv4 and IPv6):
 * a 64 KiB datagram is 45 fragments at MTU 1500; lwIP's default of 10
 * dropped any datagram of more than 10 fragments, and two large ones at once.
 */
#define IP_REASS_MAX_PBUFS              256
#define ICMP_TTL                        64   /* what Linux answers pings with */
#define ARP_TABLE_SIZE                  64
#define ARP_QUEUEING                    1
#define ARP_QUEUE_LEN                   64
#define ETHARP_SUPPORT_STATIC_ENTRIES   0
#define LWIP_IPV6_NUM_ADDRESSES         3
#define LWIP_IPV6_AUTOCONFIG            0
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS   1
#define LWIP_IPV6_MLD                   1
#define LWIP_IPV6_FRAG                  1
#define LWIP_IPV6_REASS                 1
#define IPV6_FRAG_COPYHEADER            1   /* pointers are 8 bytes here */
#define LWIP_ND6_NUM_NEIGHBORS          64
#define LWIP_ND6_NUM_DESTINATIONS       64  /* lwIP indexes it with s8_t */
#define LWIP_ND6_QUEUEING               1
#define MEMP_NUM_ND6_QUEUE              64

/* Interfaces: an Ethernet link and the loopback interface (127.0.0.1, ::1). */
#define LWIP_HAVE_LOOPIF                1
#define LWIP_NETIF_LOOPBACK             1
#define LWIP_LOOPBACK_MAX_PBUFS         0
/*
 * Segments may be pbuf chains: tcp.c hands lwIP the data of a bulk
 * connection by reference (its send ring), and eth_output() gives the
 * chain to the link in pieces. (1 would make tcp_write() copy everything.)
 */
#define LWIP_NETIF_TX_SINGLE_PBUF       0
#define LWIP_CHECKSUM_CTRL_PER_NETIF    1
/*
 * Checksums: our 64-bit sum (chksum.c) instead of lwIP's 16-bit one, data
 * summed as tcp_write() takes it (still in cache: copied, or just read into
 * tcp.c's send ring), and per-interface
 * control so local links skip what they do not need (stack.c).
 */
#include "chksum.h"
#define LWIP_CHKSUM                     netcon_chksum
#define LWIP_CHECKSUM_ON_COPY           1
#define PBUF_LINK_HLEN                  14
#define ETH_PAD_SIZE                    0

/*
 * TCP. TCP_MSS is the ceiling; TCP_CALCULATE_EFF_SEND_MSS lowers it to each
 * interface's MTU (9000 on a local switch, 1500 on a tap, none on loopback).
 * pbuf lengths are 16-bit, so a segment plus headers stays under 64 KiB.
 */
#undef TCP_MSS  /* <netinet/tcp.h> has one of its own */
#define TCP_MSS                         (65000 - 60)
#define TCP_CALCULATE_EFF_SEND_MSS      1
#define LWIP_WND_SCALE                  1
#define TCP_RCV_SCALE                   7
#define TCP_WND                         (2 * 1024 * 1024)
/*
 * A window update is sent at once when the window has grown by this much
 * (tcp_recved(), where @pcb is in scope). lwIP's default, min(TCP_WND / 4,
 * 4 * TCP_MSS), is 254 KiB here: more than the whole 64 KiB window of a
 * peer without window scaling (libslirp's TCP, the gateway), whose window
 * would then reopen only with a delayed ACK — 100 KB/s into the service.
 * Scaled connections keep the default.
 */
#define TCP_WND_UPDATE_THRESHOLD        (((pcb)->flags & TF_WND_SCALE) ? \
					 LWIP_MIN((TCP_WND / 4), (TCP_MSS * 4)) : 0xffffu / 4)
#define TCP_SND_BUF                     (2 * 1024 * 1024)
#define TCP_SND_QUEUELEN                8192
#define TCP_SNDLOWAT                    (TCP_SND_BUF / 4)
#define TCP_SNDQUEUELOWAT               (TCP_SND_QUEUELEN / 2)
#define TCP_OVERSIZE                    TCP_MSS
#define TCP_QUEUE_OOSEQ                 1
/* Out-of-order queue bounds, per connection and in total (oosguard.c). */
#define TCP_OOSEQ_MAX_BYTES             (4 * 1024 * 1024)
#define TCP_OOSEQ_BYTES_LIMIT(pcb)      netcon_ooseq_bytes_limit(pcb)
#define TCP_OOSEQ_PBUFS_LIMIT(pcb)      netcon_ooseq_pbufs_limit(pcb)
#define LWIP_TCP_SACK_OUT               1
#define LWIP_TCP_MAX_SACK_NUM           4
#define LWIP_TCP_TIMESTAMPS             1
#define LWIP_TCP_KEEPALIVE              1
/* Half-open slots per listener; a full listener evicts its oldest (synguard.c). */
#define TCP_LISTEN_BACKLOG              1
#define TCP_DEFAULT_LISTEN_BACKLOG      0xff
#define TCP_MAXRTX                      12
#define TCP_SYNMAXRTX                   6
/* TIME_WAIT lasts 2*MSL: the kernel's 60 s, not lwIP's default 120 s. */
#define TCP_MSL                         30000UL
/*
 * lwIP's timers tick at 50 ms instead of 250 ms: delayed ACKs wait 50 ms
 * (Linux: 40) and the retransmission timer has a 100 ms grain (Linux's
 * minimum RTO is 200 ms), so a lost frame costs a fraction of a second.
 */
#define TCP_TMR_INTERVAL                50
#define LWIP_CALLBACK_API               1
/* Slots per PCB: timewait.c marks the TIME_WAIT PCBs it has seen; synguard.c tracks half-open ones. */
#define LWIP_TCP_PCB_NUM_EXT_ARGS       3
#define LWIP_EVENT_API                  0
#define LWIP_ALTCP                      0

/* The one check left off assumes a 16-bit send buffer; window scaling makes it 32-bit. */
#define LWIP_DISABLE_TCP_SANITY_CHECKS  1
#define SO_REUSE                        1

#define LWIP_STATS                      0
#define LWIP_NETIF_HOSTNAME             0
#define LWIP_NETIF_STATUS_CALLBACK      0
#define LWIP_NETIF_LINK_CALLBACK        0

/* Initial sequence numbers per RFC 6528 and random numbers from the service. */
#define LWIP_HOOK_FILENAME              "netcon_lwip_hooks.h"
#define LWIP_HOOK_TCP_ISN(lip, lport, rip, rport) netcon_tcp_isn((lip), (lport), (rip), (rport))
#define LWIP_RAND()                     netcon_random_u32()
/* IPv6 off-link destinations go to --gateway (no router advertisements here). */
#define LWIP_HOOK_ND6_GET_GW(netif, dest) netcon_ip6_gateway((netif), (dest))
/*
 * SYNs to a listener whose accept queue is full are dropped (sock.c); SYN
 * flood guard (synguard.c); floods of tiny out-of-order segments (oosguard.c).
 */
/* ICMP port unreachable becomes ECONNREFUSED on connected UDP sockets (udp.c). */
#define LWIP_HOOK_IP4_INPUT(p, inp)     nc_udp_ip4_input((p), (inp))
#define LWIP_HOOK_IP6_INPUT(p, inp)     nc_udp_ip6_input((p), (inp))
#define LWIP_HOOK_TCP_INPACKET_PCB(pcb, hdr, optlen, opt1len, opt2, p) \
	netcon_tcp_inpacket((pcb), (hdr), (p))

#endif

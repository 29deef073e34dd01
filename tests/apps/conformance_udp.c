/*
 * conformance_udp - UDP socket-semantics cases whose output is diffed
 * kernel vs netcon (the UDP counterpart of conformance.c; same conventions).
 *
 * The harness runs this program once on the kernel (fresh network namespace,
 * only `lo` up, the service's addresses added to lo for the second mode) and
 * once with its sockets redirected through netcon, and diffs the outputs.
 * Every case prints exactly one line, "name: tokens...", made only of things
 * the kernel defines precisely: return values, errno names, addresses, option
 * values, readiness, lengths, msg_flags.  Never times, pids or port numbers
 * the kernel picks (those print as "ephemeral").
 *
 *   conformance_udp [-a ADDR4] [-A ADDR6] [-k] [-l] [CASE...]
 *
 *   -a ADDR4  the IPv4 address of "this host" (default 127.0.0.1)
 *   -A ADDR6  the IPv6 address of "this host" (default ::1)
 *   -k        keep every case in this one process (default: each case runs in
 *             its own child, so a hang or crash costs only that case's line,
 *             which then reads TIMEOUT or CRASH(SIGxxx)); for gdb/strace
 *   -l        list the cases and exit
 *   CASE...   run only the named cases (default: all, in table order)
 *
 * Addresses print symbolically so that runs with different -a/-A diff equal:
 * ADDR4, ADDR6, ::ffff:ADDR4, 0.0.0.0, ::, anything else literally; IPv6 as
 * [addr]:port.  Ports: the case's own fixed port literally, 32768..60999 as
 * "ephemeral".
 *
 * Fixed ports are 29000 + 2*index (a case may use its port and port+1):
 * below the kernel's ephemeral range (32768..60999), so an autobound port can
 * never land on a later case's fixed port, and apart from conformance.c's
 * 31100+ range.
 *
 * Every wait is bounded (poll/epoll timeouts <= 2 s, SO_RCVTIMEO where a call
 * blocks on purpose); a per-case watchdog (alarm) catches blocking calls that
 * never return.  The exit status is 0 unless the program itself cannot run.
 * A step that is setup rather than the thing under test and fails ends the
 * case's line with "SETUP_FAILED(<expression>)=-1/ERRNO".
 *
 * Things that legitimately differ between loopback and a routed subnet are
 * avoided rather than skipped: broadcast is only sent from a socket bound to
 * this host's address (so the kernel finds lo as the outgoing device in both
 * modes), and multicast groups are joined on this host's address, never on
 * "any interface" (which needs a multicast route a bare namespace lacks).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BASE_PORT    29000
#include "conformance.h"


/* ------------------------------------------------------------------ */
/* UDP helpers                                                         */

static const char *famname(int f) { return f == AF_INET ? "INET" : f == AF_INET6 ? "INET6" : "other"; }
static const int fams[2] = { AF_INET, AF_INET6 };
static const char *msgflags(int f);

static int udp(int fam) { return (int)REQ(socket(fam, SOCK_DGRAM, 0)); }

/* A UDP socket bound to this host's address and the given port. */
static int udp_bound(int fam, int port)
{
    int fd = udp(fam);
    REQ(xbind(fd, host(fam, port)));
    return fd;
}

static ssize_t tx(int fd, const char *s, sa_t to)
{
    return sendto(fd, s, strlen(s), 0, (struct sockaddr *)&to.ss, to.len);
}

/* Setup: a datagram that must go out. */
static void must_tx(int fd, const char *s, sa_t to)
{
    if (tx(fd, s, to) != (ssize_t)strlen(s))
        setup_fail("sendto", errno);
}

/* The last datagram rx() received. */
static char rxbuf[70000];
static sa_t rxfrom;

/* Wait (bounded) for a datagram, then recvfrom up to cap bytes with flags
 * (plus MSG_DONTWAIT); "timeout" if none came within 2 s. */
static ssize_t rx_raw(int fd, size_t cap, int flags, int *err)
{
    *err = 0;
    if (wait_fd(fd, POLLIN, WAIT_MS) == 0) {
        *err = ETIMEDOUT;
        return -2;
    }
    memset(&rxfrom, 0, sizeof rxfrom);
    rxfrom.len = sizeof rxfrom.ss;
    ssize_t r = recvfrom(fd, rxbuf, cap, flags | MSG_DONTWAIT, (struct sockaddr *)&rxfrom.ss, &rxfrom.len);
    if (r < 0) {
        *err = errno;
        rxfrom.len = 0;
    }
    return r;
}

/* "N" (the return value), "timeout" or "-1/ERR". */
static const char *rxn(int fd, size_t cap, int flags)
{
    int e;
    ssize_t r = rx_raw(fd, cap, flags, &e);
    return r == -2 ? "timeout" : rvs(r, e);
}

/* A short text datagram and where it came from: "text"@ADDR:port. */
static const char *rxsf(int fd, size_t cap, int flags)
{
    int e;
    ssize_t r = rx_raw(fd, cap, flags, &e);
    if (r == -2)
        return "timeout";
    if (r < 0)
        return rvs(r, e);
    char *s = sb();
    snprintf(s, 160, "\"%.*s\"@%s", (int)((size_t)r < cap ? (size_t)r : cap), rxbuf, fmt_sa(&rxfrom.ss, rxfrom.len));
    return s;
}

static const char *rxs(int fd) { return rxsf(fd, 64, 0); }

/* recvmsg into a cap-byte buffer: "N:"text"/FLAGS". */
static const char *rxmsg(int fd, size_t cap, int flags)
{
    char b[128];
    struct iovec iov = { b, cap };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_flags = -1 };
    if (wait_fd(fd, POLLIN, WAIT_MS) == 0)
        return "timeout";
    ssize_t r = recvmsg(fd, &m, flags | MSG_DONTWAIT);
    if (r < 0)
        return rvs(r, errno);
    char *s = sb();
    snprintf(s, 160, "%zd:\"%.*s\"/%s", r, (int)((size_t)r < cap ? (size_t)r : cap), b, msgflags(m.msg_flags));
    return s;
}

/* Whatever a non-blocking recv finds right now (no wait). */
static const char *rx_now(int fd)
{
    char b[64];
    ssize_t r = recv(fd, b, sizeof b, MSG_DONTWAIT);
    if (r < 0)
        return rvs(r, errno);
    char *s = sb();
    snprintf(s, 160, "\"%.*s\"", (int)r, b);
    return s;
}

/* Nothing arrives for 200 ms: "none", else what did. */
static const char *quiet(int fd)
{
    if (wait_fd(fd, POLLIN, QUIET_MS) == 0)
        return "none";
    return rx_now(fd);
}

static const char *fionread(int fd)
{
    int n = -1;
    int r = ioctl(fd, FIONREAD, &n);
    return r < 0 ? rvs(r, errno) : rvs(n, 0);
}

static const char *msgflags(int f)
{
    static const struct { int bit; const char *n; } bits[] = {
        { MSG_TRUNC, "TRUNC" }, { MSG_CTRUNC, "CTRUNC" }, { MSG_EOR, "EOR" },
        { MSG_OOB, "OOB" }, { MSG_ERRQUEUE, "ERRQUEUE" },
    };
    char *s = sb();
    s[0] = 0;
    int rest = f;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (f & bits[i].bit) {
            snprintf(s + strlen(s), 160 - strlen(s), "%s%s", s[0] ? "|" : "", bits[i].n);
            rest &= ~bits[i].bit;
        }
    if (rest)
        snprintf(s + strlen(s), 160 - strlen(s), "%s0x%x", s[0] ? "|" : "", rest);
    return s[0] ? s : "0";
}

/* A deterministic byte pattern for big datagrams. */
static unsigned char big[70000];
static void fill_pattern(void)
{
    uint32_t x = 0x12345678;
    for (size_t i = 0; i < sizeof big; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        big[i] = (unsigned char)x;
    }
}

/* SO_RCVTIMEO, so that a call that blocks on purpose cannot block long. */
static void rcvtimeo(int fd, int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    REQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
}

/* An address without a port, symbolic like fmt_sa. */
static const char *fmt_in4(struct in_addr a)
{
    sa_t x = sa4(a, 0);
    char *s = sb();
    snprintf(s, 160, "%s", fmt_sa(&x.ss, x.len));
    s[strlen(s) - 2] = 0;   /* ":0" */
    return s;
}

static const char *fmt_in6(struct in6_addr a)
{
    sa_t x = sa6(a, 0);
    char *s = sb();
    snprintf(s, 160, "%s", fmt_sa(&x.ss, x.len) + 1);
    s[strlen(s) - 3] = 0;   /* "]:0" */
    return s;
}

static sa_t mapped4(int port)
{
    struct in6_addr m;
    memset(&m, 0, sizeof m);
    m.s6_addr[10] = m.s6_addr[11] = 0xff;
    memcpy(&m.s6_addr[12], &addr4, 4);
    return sa6(m, port);
}

/* ================================================================== */
/* Cases                                                              */
/* ================================================================== */

/* socket_flags: SOCK_NONBLOCK|SOCK_CLOEXEC at creation show in F_GETFL/
 * F_GETFD; the socket says it is a UDP datagram socket of its family
 * (SO_TYPE/SO_DOMAIN/SO_PROTOCOL), not listening, no pending error; a plain
 * socket() has neither flag; protocol 0 and IPPROTO_UDP are the same;
 * SOCK_DGRAM with IPPROTO_TCP is EPROTONOSUPPORT. */
static void c_socket_flags(int port)
{
    for (int i = 0; i < 2; i++) {
        int fd = (int)REQ(socket(fams[i], SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        int t = geti(fd, SOL_SOCKET, SO_TYPE), d = geti(fd, SOL_SOCKET, SO_DOMAIN);
        int pr = geti(fd, SOL_SOCKET, SO_PROTOCOL);
        out("%s: fl=%s fd=%s type=%s domain=%s proto=%s acceptconn=%s error=%s;", famname(fams[i]),
            flfl(fd), fdfl(fd), t == SOCK_DGRAM ? "DGRAM" : rvs(t, 0), famname(d),
            pr == IPPROTO_UDP ? "UDP" : rvs(pr, 0), gopt(fd, SOL_SOCKET, SO_ACCEPTCONN), so_error(fd));
        close(fd);
    }
    int fd = (int)REQ(socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP));
    int pr = geti(fd, SOL_SOCKET, SO_PROTOCOL);
    out("plain: fl=%s fd=%s proto=%s", flfl(fd), fdfl(fd), pr == IPPROTO_UDP ? "UDP" : rvs(pr, 0));
    close(fd);
    out("dgram_tcp=%s", RV(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP)));
}

/* sockname_unbound: a fresh socket's name is the wildcard with port 0 and
 * full-size addrlen; it has no peer (ENOTCONN). */
static void c_sockname_unbound(int port)
{
    for (int i = 0; i < 2; i++) {
        int fd = udp(fams[i]);
        sa_t n = rawname(fd, 0);
        out("%s: getsockname=%s len=%u getpeername=%s%s", famname(fams[i]), sockname(fd),
            (unsigned)n.len, peername(fd), i ? "" : ";");
        close(fd);
    }
}

/* bind_addr: binding this host's address and a fixed port succeeds and
 * getsockname reports exactly that, in both families; no peer. */
static void c_bind_addr(int port)
{
    for (int i = 0; i < 2; i++) {
        int fd = udp(fams[i]);
        out("%s: bind=%s", famname(fams[i]), RV(xbind(fd, host(fams[i], port + i))));
        out("name=%s peer=%s%s", sockname(fd), peername(fd), i ? "" : ";");
        close(fd);
    }
}

/* bind_port0: port 0 asks the stack to choose an ephemeral port; the
 * address stays as given (host, 0.0.0.0, ::). */
static void c_bind_port0(int port)
{
    int a = udp(AF_INET), b = udp(AF_INET), c = udp(AF_INET6), d = udp(AF_INET6);
    out("host: bind=%s", RV(xbind(a, host(AF_INET, 0))));
    out("name=%s;", sockname(a));
    out("any: bind=%s", RV(xbind(b, any(AF_INET, 0))));
    out("name=%s;", sockname(b));
    out("host6: bind=%s", RV(xbind(c, host(AF_INET6, 0))));
    out("name=%s;", sockname(c));
    out("any6: bind=%s", RV(xbind(d, any(AF_INET6, 0))));
    out("name=%s", sockname(d));
    close(a);
    close(b);
    close(c);
    close(d);
}

/* bind_twice: a bound socket cannot be bound again, to the same or another
 * port (EINVAL), nor after an autobind by sendto; its name does not change. */
static void c_bind_twice(int port)
{
    int a = udp(AF_INET), b = udp(AF_INET);
    out("bind1=%s", RV(xbind(a, host(AF_INET, port))));
    out("same=%s", RV(xbind(a, host(AF_INET, port))));
    out("other=%s", RV(xbind(a, host(AF_INET, port + 1))));
    out("name=%s;", sockname(a));
    out("autobound: sendto=%s", RV(tx(b, "x", host(AF_INET, port))));
    out("bind=%s", RV(xbind(b, host(AF_INET, port + 1))));
    out("name=%s", sockname(b));
    close(a);
    close(b);
}

/* bind_inuse: without SO_REUSEADDR a second socket cannot take the same
 * address:port, nor the wildcard on that port; the same in IPv6. */
static void c_bind_inuse(int port)
{
    for (int i = 0; i < 2; i++) {
        int f = fams[i], a = udp(f), b = udp(f), c = udp(f);
        out("%s: first=%s", famname(f), RV(xbind(a, host(f, port))));
        out("same=%s", RV(xbind(b, host(f, port))));
        out("wildcard=%s%s", RV(xbind(c, any(f, port))), i ? "" : ";");
        close(a);
        close(b);
        close(c);
    }
}

/* bind_wildcard_first: with 0.0.0.0:P bound (no options), this host's
 * address on P is EADDRINUSE too; closing the first frees the port at once
 * (UDP has no TIME_WAIT). */
static void c_bind_wildcard_first(int port)
{
    int a = udp(AF_INET), b = udp(AF_INET), c = udp(AF_INET);
    out("any=%s", RV(xbind(a, any(AF_INET, port))));
    out("host=%s", RV(xbind(b, host(AF_INET, port))));
    close(a);
    out("after_close=%s", RV(xbind(c, host(AF_INET, port))));
    close(b);
    close(c);
}

/* bind_reuseaddr: with SO_REUSEADDR on both sockets two UDP sockets bind
 * the same address:port (for UDP no listen state makes this conflict); a
 * third without the option is EADDRINUSE; one with the option after one
 * without is EADDRINUSE as well. */
static void c_bind_reuseaddr(int port)
{
    int a = udp(AF_INET), b = udp(AF_INET), c = udp(AF_INET);
    out("opt1=%s", sopt(a, SOL_SOCKET, SO_REUSEADDR, 1));
    out("opt2=%s", sopt(b, SOL_SOCKET, SO_REUSEADDR, 1));
    out("get=%s", gopt(a, SOL_SOCKET, SO_REUSEADDR));
    out("bind1=%s", RV(xbind(a, host(AF_INET, port))));
    out("bind2=%s", RV(xbind(b, host(AF_INET, port))));
    out("without=%s;", RV(xbind(c, host(AF_INET, port))));
    close(a);
    close(b);
    close(c);
    int d = udp(AF_INET), e = udp(AF_INET);
    out("plain_first: bind1=%s", RV(xbind(d, host(AF_INET, port + 1))));
    out("opt=%s", sopt(e, SOL_SOCKET, SO_REUSEADDR, 1));
    out("bind2=%s", RV(xbind(e, host(AF_INET, port + 1))));
    close(d);
    close(e);
}

/* bind_reuseport: SO_REUSEPORT on both lets two sockets bind the same
 * address:port; a third without the option gets EADDRINUSE; a datagram to
 * the port is delivered to exactly one of the two. */
static void c_bind_reuseport(int port)
{
    int a = udp(AF_INET), b = udp(AF_INET), c = udp(AF_INET), s = udp(AF_INET);
    out("opt1=%s", sopt(a, SOL_SOCKET, SO_REUSEPORT, 1));
    out("opt2=%s", sopt(b, SOL_SOCKET, SO_REUSEPORT, 1));
    out("get=%s", gopt(a, SOL_SOCKET, SO_REUSEPORT));
    out("bind1=%s", RV(xbind(a, host(AF_INET, port))));
    out("bind2=%s", RV(xbind(b, host(AF_INET, port))));
    out("without=%s", RV(xbind(c, host(AF_INET, port))));
    must_tx(s, "one", host(AF_INET, port));
    struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
    poll(p, 2, WAIT_MS);
    usleep(QUIET_MS * 1000);
    int n = 0;
    for (int i = 0; i < 2; i++)
        n += recv(p[i].fd, rxbuf, 64, MSG_DONTWAIT) == 3;
    out("receivers=%d", n);
    close(a);
    close(b);
    close(c);
    close(s);
}

/* bind_nonlocal: an address this host does not have cannot be bound
 * (EADDRNOTAVAIL), in both families (documentation prefixes). */
static void c_bind_nonlocal(int port)
{
    int a = udp(AF_INET), b = udp(AF_INET6);
    out("inet=%s", RV(xbind(a, sa4(ip4("198.51.100.1"), port))));
    out("inet6=%s", RV(xbind(b, sa6(ip6("2001:db8::1"), port))));
    out("names=%s,%s", sockname(a), sockname(b));
    close(a);
    close(b);
}

/* bind_badaddr: family/length mistakes: an AF_INET6 socket given a
 * sockaddr_in (short: EINVAL); an AF_INET socket given a sockaddr_in6
 * (EAFNOSUPPORT); addrlen one short of sockaddr_in (EINVAL); an IPv6 socket
 * binding ::ffff:ADDR4 with V6ONLY set (EINVAL). */
static void c_bind_badaddr(int port)
{
    int a = udp(AF_INET6), b = udp(AF_INET), c = udp(AF_INET), d = udp(AF_INET6);
    out("inet6_sock_sin=%s", RV(xbind(a, sa4(addr4, port))));
    out("inet_sock_sin6=%s", RV(xbind(b, sa6(addr6, port))));
    sa_t x = host(AF_INET, port);
    out("inet_len15=%s", RV(bind(c, (struct sockaddr *)&x.ss, sizeof(struct sockaddr_in) - 1)));
    REQ(setsockopt(d, IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 1 }, sizeof(int)));
    out("v6only_mapped=%s", RV(xbind(d, mapped4(port))));
    close(a);
    close(b);
    close(c);
    close(d);
}

/* v6only: IPV6_V6ONLY defaults to 0; with 1, [::]:P leaves 0.0.0.0:P free
 * for an AF_INET socket; with 0, [::]:P also owns the IPv4 side so an
 * AF_INET bind to that port (wildcard or this host) is EADDRINUSE. */
static void c_v6only(int port)
{
    int a = udp(AF_INET6), b = udp(AF_INET);
    out("default=%s", gopt(a, IPPROTO_IPV6, IPV6_V6ONLY));
    out("set=%s", sopt(a, IPPROTO_IPV6, IPV6_V6ONLY, 1));
    out("get=%s", gopt(a, IPPROTO_IPV6, IPV6_V6ONLY));
    out("bind6=%s", RV(xbind(a, any(AF_INET6, port))));
    out("bind4=%s", RV(xbind(b, any(AF_INET, port))));
    out("set_after_bind=%s;", sopt(a, IPPROTO_IPV6, IPV6_V6ONLY, 0));
    close(a);
    close(b);
    int c = udp(AF_INET6), d = udp(AF_INET), e = udp(AF_INET);
    out("dual: bind6=%s", RV(xbind(c, any(AF_INET6, port + 1))));
    out("bind4_any=%s", RV(xbind(d, any(AF_INET, port + 1))));
    out("bind4_host=%s", RV(xbind(e, host(AF_INET, port + 1))));
    close(c);
    close(d);
    close(e);
}

/* dualstack_recv: an AF_INET6 socket on [::]:P (V6ONLY 0) receives an IPv4
 * client's datagram from [::ffff:ADDR4]:port - the client's own port - and
 * its reply sent to that mapped address reaches the client from ADDR4:P. */
static void c_dualstack_recv(int port)
{
    int s = udp(AF_INET6), c = udp(AF_INET);
    REQ(xbind(s, any(AF_INET6, port)));
    out("send=%s", RV(tx(c, "v4", host(AF_INET, port))));
    out("got=%s", rxs(s));
    sa_t from = rxfrom, cn = rawname(c, 0);
    struct sockaddr_in6 *f6 = (struct sockaddr_in6 *)&from.ss;
    struct sockaddr_in *c4 = (struct sockaddr_in *)&cn.ss;
    out("len=%u port_is_client=%s", (unsigned)from.len, yesno(from.len && f6->sin6_port == c4->sin_port));
    out("reply=%s", RV(sendto(s, "back", 4, 0, (struct sockaddr *)&from.ss, from.len)));
    out("client_got=%s", rxs(c));
    close(s);
    close(c);
}

/* v6only_recv: an AF_INET6 socket on [::]:P with V6ONLY 1 does not see an
 * IPv4 datagram to P; an AF_INET6 client may send to ::ffff:ADDR4 only
 * when it is not V6ONLY (V6ONLY: ENETUNREACH), and the IPv4 socket sees it
 * from ADDR4. */
static void c_v6only_recv(int port)
{
    int s = udp(AF_INET6), c = udp(AF_INET), r4 = udp_bound(AF_INET, port + 1);
    REQ(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 1 }, sizeof(int)));
    REQ(xbind(s, any(AF_INET6, port)));
    out("send4=%s", RV(tx(c, "v4", host(AF_INET, port))));
    out("v6only_sock=%s", quiet(s));
    out("v6only_send_mapped=%s", RV(tx(s, "m", mapped4(port + 1))));
    int d = udp(AF_INET6);
    out("dual_send_mapped=%s", RV(tx(d, "m", mapped4(port + 1))));
    out("v4_got=%s", rxs(r4));
    out("dual_name=%s", sockname(d));
    close(s);
    close(c);
    close(d);
    close(r4);
}

/* connect_peer (both families): connect() on an unbound UDP socket returns
 * 0 at once (no handshake), autobinds this host's address (the route's
 * source) with an ephemeral port, and getpeername gives the peer; a second
 * connect to another port is allowed (not EISCONN) and moves the peer. */
static void c_connect_peer(int port)
{
    for (int i = 0; i < 2; i++) {
        int f = fams[i], c = udp(f);
        out("%s: connect=%s", famname(f), RV(xconnect(c, host(f, port))));
        out("name=%s peer=%s", sockname(c), peername(c));
        sa_t before = rawname(c, 0);
        out("again=%s", RV(xconnect(c, host(f, port + 1))));
        sa_t after = rawname(c, 0);
        out("peer=%s same_name=%s%s", peername(c), yesno(sa_eq(&before, &after)), i ? "" : ";");
        close(c);
    }
}

/* connect_mapped: an AF_INET6 socket connected to ::ffff:ADDR4 talks IPv4:
 * its name is ::ffff:ADDR4 with an ephemeral port, the IPv4 server sees the
 * datagram from ADDR4, and the reply comes back through send/recv. */
static void c_connect_mapped(int port)
{
    int s = udp_bound(AF_INET, port), c = udp(AF_INET6);
    out("connect=%s", RV(xconnect(c, mapped4(port))));
    out("name=%s peer=%s", sockname(c), peername(c));
    out("send=%s", RV(send(c, "hi", 2, 0)));
    out("server_got=%s", rxs(s));
    out("reply=%s", RV(sendto(s, "yo", 2, 0, (struct sockaddr *)&rxfrom.ss, rxfrom.len)));
    out("client_got=%s", rxs(c));
    close(s);
    close(c);
}

/* connect_filter: a connected socket receives only from its peer: a
 * datagram from another socket sent first is dropped, the peer's is
 * received, and nothing else is queued; before connecting both would have
 * been received. */
static void c_connect_filter(int port)
{
    int s = udp_bound(AF_INET, port), peer = udp_bound(AF_INET, port + 1), other = udp(AF_INET);
    out("connect=%s", RV(xconnect(s, host(AF_INET, port + 1))));
    out("other_send=%s", RV(tx(other, "other", host(AF_INET, port))));
    out("peer_send=%s", RV(tx(peer, "peer", host(AF_INET, port))));
    out("got=%s", rxs(s));
    out("then=%s", quiet(s));
    close(s);
    close(peer);
    close(other);
}

/* connect_unspec: connect(AF_UNSPEC) dissolves the association: 0, then
 * getpeername ENOTCONN and send EDESTADDRREQ.  An explicitly bound socket
 * keeps its name and receives from anyone again; a socket that was only
 * autobound by connect loses address and port (0.0.0.0:0).  Dissolving an
 * unconnected socket is 0 too. */
static void c_connect_unspec(int port)
{
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    int s = udp_bound(AF_INET, port), other = udp(AF_INET);
    REQ(xconnect(s, host(AF_INET, port + 1)));
    out("bound: unspec=%s", RV(connect(s, &unspec, sizeof unspec)));
    out("peer=%s name=%s", peername(s), sockname(s));
    out("send=%s", RV(send(s, "x", 1, 0)));
    must_tx(other, "any", host(AF_INET, port));
    out("got=%s;", rxs(s));
    int a = udp(AF_INET);
    REQ(xconnect(a, host(AF_INET, port + 1)));
    out("autobound: name=%s", sockname(a));
    out("unspec=%s", RV(connect(a, &unspec, sizeof unspec)));
    out("name=%s peer=%s;", sockname(a), peername(a));
    int u = udp(AF_INET6);
    out("unconnected6: unspec=%s", RV(connect(u, &unspec, sizeof unspec)));
    out("name=%s", sockname(u));
    close(s);
    close(other);
    close(a);
    close(u);
}

/* connect_reconnect: after connect to A then connect to B, datagrams from
 * A are filtered and B's arrive; getpeername says B. */
static void c_connect_reconnect(int port)
{
    int s = udp(AF_INET), a = udp_bound(AF_INET, port), b = udp_bound(AF_INET, port + 1);
    REQ(xconnect(s, host(AF_INET, port)));
    sa_t sn = rawname(s, 0);
    out("to_a=%s", RV(send(s, "1", 1, 0)));
    out("a_got=%s", rxs(a));
    out("reconnect=%s", RV(xconnect(s, host(AF_INET, port + 1))));
    sa_t sn2 = rawname(s, 0);
    out("peer=%s same_name=%s", peername(s), yesno(sa_eq(&sn, &sn2)));
    out("a_send=%s", RV(sendto(a, "from_a", 6, 0, (struct sockaddr *)&sn.ss, sn.len)));
    out("b_send=%s", RV(sendto(b, "from_b", 6, 0, (struct sockaddr *)&sn.ss, sn.len)));
    out("got=%s", rxs(s));
    out("then=%s", quiet(s));
    close(s);
    close(a);
    close(b);
}

/* connect_errors: connecting to port 0 succeeds (0) but leaves no peer to
 * report (getpeername ENOTCONN) while send() still works (1) - the socket is
 * connected to port 0; a short address is EINVAL, the wrong family
 * EAFNOSUPPORT, a host with no route ENETUNREACH (both families), and so is a
 * sendto to it. */
static void c_connect_errors(int port)
{
    int a = udp(AF_INET), b = udp(AF_INET), c = udp(AF_INET), d = udp(AF_INET), e = udp(AF_INET6);
    out("port0=%s", RV(xconnect(a, host(AF_INET, 0))));
    out("peer=%s", peername(a));
    out("send=%s", RV(send(a, "x", 1, 0)));
    sa_t x = host(AF_INET, port);
    out("short=%s", RV(connect(b, (struct sockaddr *)&x.ss, sizeof(struct sockaddr_in) - 1)));
    out("family=%s", RV(xconnect(c, sa6(addr6, port))));
    out("unreach=%s", RV(xconnect(d, sa4(ip4("203.0.113.1"), port))));
    out("unreach6=%s", RV(xconnect(e, sa6(ip6("2001:db8::1"), port))));
    /* and sendto without connecting, which netcon answers without asking the service */
    int f = udp(AF_INET), g = udp(AF_INET6);
    out("sendto_unreach=%s", RV(tx(f, "x", sa4(ip4("203.0.113.1"), port))));
    out("sendto_unreach6=%s", RV(tx(g, "x", sa6(ip6("2001:db8::1"), port))));
    out("sendto_unreach_mapped=%s", RV(tx(g, "x", sa6(ip6("::ffff:203.0.113.1"), port))));
    close(f);
    close(g);
    close(a);
    close(b);
    close(c);
    close(d);
    close(e);
}

/* autobind_sendto: sendto on an unbound socket binds it to the WILDCARD
 * address with an ephemeral port (unlike connect); the receiver sees this
 * host's address and that same port; a second sendto keeps the port. */
static void c_autobind_sendto(int port)
{
    for (int i = 0; i < 2; i++) {
        int f = fams[i], s = udp_bound(f, port + i), c = udp(f);
        out("%s: sendto=%s", famname(f), RV(tx(c, "a", host(f, port + i))));
        sa_t n = rawname(c, 0);
        out("name=%s", fmt_sa(&n.ss, n.len));
        out("got=%s", rxs(s));
        sa_t from1 = rxfrom;
        int same = from1.len && ((struct sockaddr_in *)&from1.ss)->sin_port == ((struct sockaddr_in *)&n.ss)->sin_port;
        must_tx(c, "b", host(f, port + i));
        out("from_port_is_name=%s", yesno(same));
        out("again=%s", rxs(s));
        out("same_source=%s%s", yesno(sa_eq(&rxfrom, &from1)), i ? "" : ";");
        close(s);
        close(c);
    }
}

/* send_unconnected: without a peer, send/write/writev/sendto(NULL)/
 * sendmsg(no name) are all EDESTADDRREQ (and send on a fresh socket does
 * not autobind); sendto port 0 is EINVAL; a name of the wrong family is
 * EAFNOSUPPORT; a short name EINVAL. */
static void c_send_unconnected(int port)
{
    int s = udp(AF_INET), s6 = udp(AF_INET6);
    out("send=%s", RV(send(s, "x", 1, 0)));
    out("write=%s", RV(write(s, "x", 1)));
    struct iovec iov = { .iov_base = "x", .iov_len = 1 };
    out("writev=%s", RV(writev(s, &iov, 1)));
    out("sendto_null=%s", RV(sendto(s, "x", 1, 0, NULL, 0)));
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    out("sendmsg=%s", RV(sendmsg(s, &m, 0)));
    out("name=%s", sockname(s));
    out("port0=%s", RV(tx(s, "x", host(AF_INET, 0))));
    out("family=%s", RV(tx(s, "x", sa6(addr6, port))));
    sa_t h = host(AF_INET, port);
    out("short=%s", RV(sendto(s, "x", 1, 0, (struct sockaddr *)&h.ss, sizeof(struct sockaddr_in) - 1)));
    out("inet6_send=%s", RV(send(s6, "x", 1, 0)));
    out("inet6_port0=%s", RV(tx(s6, "x", host(AF_INET6, 0))));
    close(s);
    close(s6);
}

/* sendto_connected: a connected socket may still sendto another address
 * (Linux: the datagram goes there, the association stays); sendto its own
 * peer works too. */
static void c_sendto_connected(int port)
{
    int a = udp_bound(AF_INET, port), b = udp_bound(AF_INET, port + 1), c = udp(AF_INET);
    REQ(xconnect(c, host(AF_INET, port)));
    out("sendto_other=%s", RV(tx(c, "other", host(AF_INET, port + 1))));
    out("b_got=%s", rxs(b));
    out("sendto_peer=%s", RV(tx(c, "peer", host(AF_INET, port))));
    out("a_got=%s", rxs(a));
    out("peer=%s", peername(c));
    close(a);
    close(b);
    close(c);
}

/* send_variants: on a connected socket send, write, writev (3 pieces make
 * ONE datagram), sendmsg (2 pieces) and sendto(NULL) each send one
 * datagram; the server receives them whole, in order. */
static void c_send_variants(int port)
{
    int s = udp_bound(AF_INET, port), c = udp(AF_INET);
    REQ(xconnect(c, host(AF_INET, port)));
    out("send=%s", RV(send(c, "send", 4, 0)));
    out("write=%s", RV(write(c, "write", 5)));
    struct iovec v[3] = { { "wr", 2 }, { "it", 2 }, { "ev", 2 } };
    out("writev=%s", RV(writev(c, v, 3)));
    struct iovec m2[2] = { { "send", 4 }, { "msg", 3 } };
    struct msghdr m = { .msg_iov = m2, .msg_iovlen = 2 };
    out("sendmsg=%s", RV(sendmsg(c, &m, 0)));
    out("sendto_null=%s", RV(sendto(c, "sendto", 6, 0, NULL, 0)));
    for (int i = 0; i < 5; i++)
        out("%s", rxs(s));
    out("then=%s", quiet(s));
    close(s);
    close(c);
}

/* sendmsg_name: an unconnected sendmsg with msg_name sends there; a
 * datagram built from an iovec with an empty piece is the concatenation. */
static void c_sendmsg_name(int port)
{
    int s = udp_bound(AF_INET6, port), c = udp(AF_INET6);
    sa_t to = host(AF_INET6, port);
    struct iovec v[3] = { { "ab", 2 }, { "", 0 }, { "cd", 2 } };
    struct msghdr m = { .msg_name = &to.ss, .msg_namelen = to.len, .msg_iov = v, .msg_iovlen = 3 };
    out("sendmsg=%s", RV(sendmsg(c, &m, 0)));
    out("got=%s", rxs(s));
    close(s);
    close(c);
}

/* recv_variants: recv, recvfrom (source and addrlen), recvmsg (name,
 * namelen, msg_flags 0, controllen 0), read, readv (one datagram spread
 * over two buffers) - each takes exactly one datagram. */
static void c_recv_variants(int port)
{
    int s = udp_bound(AF_INET, port), c = udp_bound(AF_INET, port + 1);
    sa_t to = host(AF_INET, port);
    const char *msgs[] = { "recv", "recvfrom", "recvmsg", "read", "readv-data" };
    for (int i = 0; i < 5; i++)
        must_tx(c, msgs[i], to);
    char b[64];
    need_ready(s, POLLIN);
    ssize_t r = recv(s, b, sizeof b, 0);
    out("recv=%s:\"%.*s\"", rvs(r, errno), r > 0 ? (int)r : 0, b);
    sa_t f = { .len = sizeof f.ss };
    r = recvfrom(s, b, sizeof b, 0, (struct sockaddr *)&f.ss, &f.len);
    out("recvfrom=%s:\"%.*s\" from=%s len=%u", rvs(r, errno), r > 0 ? (int)r : 0, b, fmt_sa(&f.ss, f.len), (unsigned)f.len);
    struct iovec iov = { b, sizeof b };
    char cb[64];
    struct msghdr m = { .msg_name = &f.ss, .msg_namelen = sizeof f.ss, .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = cb, .msg_controllen = sizeof cb, .msg_flags = -1 };
    r = recvmsg(s, &m, 0);
    out("recvmsg=%s:\"%.*s\" from=%s namelen=%u flags=%s controllen=%zu", rvs(r, errno), r > 0 ? (int)r : 0, b,
        fmt_sa(&f.ss, m.msg_namelen), (unsigned)m.msg_namelen, msgflags(m.msg_flags), (size_t)m.msg_controllen);
    r = read(s, b, sizeof b);
    out("read=%s:\"%.*s\"", rvs(r, errno), r > 0 ? (int)r : 0, b);
    char p1[5], p2[16];
    struct iovec v[2] = { { p1, 5 }, { p2, sizeof p2 } };
    r = readv(s, v, 2);
    out("readv=%s:\"%.5s\"+\"%.*s\"", rvs(r, errno), p1, r > 5 ? (int)r - 5 : 0, p2);
    out("then=%s", rx_now(s));
    close(s);
    close(c);
}

/* recvfrom_addrlen: a too-short address buffer is filled as far as it goes
 * and addrlen reports the full size (16 / 28); a NULL address is fine. */
static void c_recvfrom_addrlen(int port)
{
    for (int i = 0; i < 2; i++) {
        int f = fams[i], s = udp_bound(f, port + i), c = udp(f);
        must_tx(c, "a", host(f, port + i));
        must_tx(c, "b", host(f, port + i));
        need_ready(s, POLLIN);
        struct sockaddr_storage ss;
        memset(&ss, 0xaa, sizeof ss);
        socklen_t len = 4;
        char b[8];
        out("%s: short=%s", famname(f), RV(recvfrom(s, b, sizeof b, 0, (struct sockaddr *)&ss, &len)));
        unsigned char *u = (unsigned char *)&ss;
        out("addrlen=%u family_ok=%s untouched_after=%s", (unsigned)len,
            yesno(((struct sockaddr *)&ss)->sa_family == f), yesno(u[4] == 0xaa));
        len = 0;
        out("null=%s%s", RV(recvfrom(s, b, sizeof b, 0, NULL, &len)), i ? "" : ";");
        close(s);
        close(c);
    }
}

/* sendmmsg: one call sends 3 datagrams to 3 different destinations
 * (returns 3, msg_len per message); recvmmsg on the first receiver. */
static void c_sendmmsg(int port)
{
    int a = udp_bound(AF_INET, port), b = udp_bound(AF_INET, port + 1), c = udp(AF_INET);
    sa_t ta = host(AF_INET, port), tb = host(AF_INET, port + 1);
    struct iovec v[3] = { { "one", 3 }, { "two!", 4 }, { "three", 5 } };
    struct mmsghdr mm[3];
    memset(mm, 0, sizeof mm);
    sa_t *to[3] = { &ta, &tb, &ta };
    for (int i = 0; i < 3; i++) {
        mm[i].msg_hdr.msg_name = &to[i]->ss;
        mm[i].msg_hdr.msg_namelen = to[i]->len;
        mm[i].msg_hdr.msg_iov = &v[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    out("sendmmsg=%s", RV(sendmmsg(c, mm, 3, 0)));
    out("lens=%u,%u,%u", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
    out("a=%s", rxs(a));
    out("b=%s", rxs(b));
    out("a=%s", rxs(a));
    int d = udp(AF_INET);
    out("unconnected_null_name=%s", RV(sendmmsg(d, (struct mmsghdr[]){ { .msg_hdr = { .msg_iov = v, .msg_iovlen = 1 } } }, 1, 0)));
    close(a);
    close(b);
    close(c);
    close(d);
}

/* recvmmsg: three queued datagrams come back from one recvmmsg with vlen 4
 * (MSG_DONTWAIT): returns 3, each msg_len and source, msg_flags TRUNC for
 * the one too big for its 4-byte buffer; the next call on the empty socket
 * is EAGAIN.  MSG_WAITFORONE: blocking, 2 queued, vlen 4 - returns 2 at once
 * rather than waiting for 4. */
static void c_recvmmsg(int port)
{
    int s = udp_bound(AF_INET, port), c = udp(AF_INET);
    sa_t to = host(AF_INET, port);
    must_tx(c, "ab", to);
    must_tx(c, "cdefgh", to);
    must_tx(c, "ij", to);
    need_ready(s, POLLIN);
    usleep(50000);
    char bufs[4][4];
    struct iovec v[4];
    sa_t names[4];
    struct mmsghdr mm[4];
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 4; i++) {
        v[i].iov_base = bufs[i];
        v[i].iov_len = 4;
        names[i].len = sizeof names[i].ss;
        mm[i].msg_hdr.msg_name = &names[i].ss;
        mm[i].msg_hdr.msg_namelen = names[i].len;
        mm[i].msg_hdr.msg_iov = &v[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(s, mm, 4, MSG_DONTWAIT, NULL);
    out("recvmmsg=%s", rvs(n, errno));
    for (int i = 0; i < n && i < 4; i++)
        out("[%d]=%u:\"%.*s\"/%s@%s", i, mm[i].msg_len, mm[i].msg_len < 4 ? (int)mm[i].msg_len : 4, bufs[i],
            msgflags(mm[i].msg_hdr.msg_flags), fmt_sa(&names[i].ss, mm[i].msg_hdr.msg_namelen));
    out("empty=%s;", RV(recvmmsg(s, mm, 4, MSG_DONTWAIT, NULL)));
    must_tx(c, "w1", to);
    must_tx(c, "w2", to);
    need_ready(s, POLLIN);
    usleep(50000);
    rcvtimeo(s, 1000);
    for (int i = 0; i < 4; i++)
        mm[i].msg_hdr.msg_namelen = sizeof names[i].ss;
    n = recvmmsg(s, mm, 4, MSG_WAITFORONE, NULL);
    out("waitforone=%s", rvs(n, errno));
    for (int i = 0; i < n && i < 4; i++)
        out("[%d]=\"%.*s\"", i, mm[i].msg_len < 4 ? (int)mm[i].msg_len : 4, bufs[i]);
    close(s);
    close(c);
}

/* peek: MSG_PEEK returns the datagram and its source without taking it;
 * peeking again gives the same; a short peek is truncated (MSG_TRUNC in
 * msg_flags) but the datagram stays whole for the real read; then empty. */
static void c_peek(int port)
{
    int s = udp_bound(AF_INET, port), c = udp_bound(AF_INET, port + 1);
    must_tx(c, "hello", host(AF_INET, port));
    must_tx(c, "second", host(AF_INET, port));
    out("peek=%s", rxsf(s, 64, MSG_PEEK));
    out("peek2=%s", rxsf(s, 64, MSG_PEEK));
    out("fionread=%s", fionread(s));
    out("short_peek=%s", rxmsg(s, 2, MSG_PEEK));
    out("read=%s", rxs(s));
    out("next=%s", rxs(s));
    out("then=%s", rx_now(s));
    close(s);
    close(c);
}

/* trunc: a 10-byte datagram read into 4 bytes: recvmsg returns 4 with
 * MSG_TRUNC in msg_flags; with the MSG_TRUNC flag recv returns the real
 * length (10) though it copies 4; MSG_TRUNC|MSG_PEEK with a 0-byte buffer
 * gives the next datagram's size; the rest of a truncated datagram is gone
 * (the next read is the next datagram). */
static void c_trunc(int port)
{
    int s = udp_bound(AF_INET, port), c = udp(AF_INET);
    sa_t to = host(AF_INET, port);
    must_tx(c, "0123456789", to);
    must_tx(c, "abcdefghij", to);
    must_tx(c, "ABCDEFGHIJKLMNOPQRST", to);
    must_tx(c, "last", to);
    out("short=%s", rxmsg(s, 4, 0));
    out("flag_trunc=%s", rxmsg(s, 4, MSG_TRUNC));
    out("size_peek=%s", rxmsg(s, 0, MSG_TRUNC | MSG_PEEK));
    out("whole=%s", rxmsg(s, 64, 0));
    out("next=%s", rxmsg(s, 64, 0));
    out("exact_fit=%s", RV(tx(c, "four", to)));
    out("%s", rxmsg(s, 4, 0));
    close(s);
    close(c);
}

/* dontwait: on an empty socket MSG_DONTWAIT is EAGAIN, so is a recv on a
 * SOCK_NONBLOCK socket (and recvmsg/read), and a blocking recv with
 * SO_RCVTIMEO 100 ms ends EAGAIN; a blocking recv wakes for a datagram a
 * thread sends 100 ms later. */
struct late { int fd; sa_t to; };
static void *late_sender(void *arg)
{
    struct late *l = arg;
    struct timespec ts = { 0, 100 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    tx(l->fd, "late", l->to);
    return NULL;
}

static void c_dontwait(int port)
{
    int s = udp_bound(AF_INET, port), n = (int)REQ(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
    char b[16];
    REQ(xbind(n, host(AF_INET, port + 1)));
    out("dontwait=%s", RV(recv(s, b, sizeof b, MSG_DONTWAIT)));
    out("nonblock_recv=%s", RV(recv(n, b, sizeof b, 0)));
    out("nonblock_read=%s", RV(read(n, b, sizeof b)));
    struct iovec iov = { b, sizeof b };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    out("nonblock_recvmsg=%s", RV(recvmsg(n, &m, 0)));
    rcvtimeo(s, 100);
    out("rcvtimeo=%s", RV(recv(s, b, sizeof b, 0)));
    rcvtimeo(s, 3000);
    int c = udp(AF_INET);
    struct late l = { c, host(AF_INET, port) };
    pthread_t t;
    int pe = pthread_create(&t, NULL, late_sender, &l);
    if (pe)
        setup_fail("pthread_create", pe);
    ssize_t r = recv(s, b, sizeof b, 0);
    int e = errno;
    pthread_join(t, NULL);
    out("blocking=%s:\"%.*s\"", rvs(r, e), r > 0 ? (int)r : 0, b);
    close(s);
    close(n);
    close(c);
}

/* zero_length: a 0-byte datagram is sent (0), makes the socket readable,
 * FIONREAD says 0, and recvfrom returns 0 with the source (not EOF:
 * nothing else changes); then the socket is empty again (EAGAIN).  Also
 * through send() on a connected socket and sendmsg with no iovec. */
static void c_zero_length(int port)
{
    int s = udp_bound(AF_INET, port), c = udp_bound(AF_INET, port + 1);
    out("sendto=%s", RV(tx(c, "", host(AF_INET, port))));
    out("poll=%s", poll_str(s, POLLIN, WAIT_MS));
    out("fionread=%s", fionread(s));
    out("recvfrom=%s", rxn(s, 64, 0));
    out("from=%s", fmt_sa(&rxfrom.ss, rxfrom.len));
    out("then=%s", rx_now(s));
    out("poll_after=%s", poll_str(s, POLLIN, 0));
    REQ(xconnect(c, host(AF_INET, port)));
    out("send=%s", RV(send(c, NULL, 0, 0)));
    sa_t to = host(AF_INET, port);
    struct msghdr m = { .msg_name = &to.ss, .msg_namelen = to.len };
    out("sendmsg_noiov=%s", RV(sendmsg(c, &m, 0)));
    out("got=%s", rxmsg(s, 64, 0));
    out("got=%s", rxmsg(s, 64, 0));
    out("then=%s", rx_now(s));
    close(s);
    close(c);
}

/* boundaries: datagrams of 1, 100, 1000 and 1472 bytes sent back to back
 * come out as four reads of exactly those sizes, in order, contents
 * intact, even with a 2000-byte buffer that could hold several. */
static void c_boundaries(int port)
{
    int s = udp_bound(AF_INET6, port), c = udp(AF_INET6);
    static const size_t sz[] = { 1, 100, 1000, 1472 };
    sa_t to = host(AF_INET6, port);
    size_t off = 0;
    for (int i = 0; i < 4; i++) {
        if (sendto(c, big + off, sz[i], 0, (struct sockaddr *)&to.ss, to.len) != (ssize_t)sz[i])
            setup_fail("sendto", errno);
        off += sz[i];
    }
    off = 0;
    for (int i = 0; i < 4; i++) {
        int e;
        ssize_t r = rx_raw(s, 2000, 0, &e);
        out("%s/%s", r == -2 ? "timeout" : rvs(r, e),
            r == (ssize_t)sz[i] && memcmp(rxbuf, big + off, sz[i]) == 0 ? "intact" : "wrong");
        off += sz[i];
    }
    out("then=%s", rx_now(s));
    close(s);
    close(c);
}

/* maxsize4: over IPv4 the largest UDP payload is 65507 (65535 - 20 - 8):
 * it is sent, travels fragmented and arrives whole; 65508 is EMSGSIZE at
 * once (connected or not), and so is anything larger. */
static void c_maxsize4(int port)
{
    int s = udp_bound(AF_INET, port), c = udp(AF_INET);
    sa_t to = host(AF_INET, port);
    out("65508=%s", RV(sendto(c, big, 65508, 0, (struct sockaddr *)&to.ss, to.len)));
    out("70000=%s", RV(sendto(c, big, 70000, 0, (struct sockaddr *)&to.ss, to.len)));
    out("65507=%s", RV(sendto(c, big, 65507, 0, (struct sockaddr *)&to.ss, to.len)));
    int e;
    ssize_t r = rx_raw(s, sizeof rxbuf, 0, &e);
    out("got=%s/%s", r == -2 ? "timeout" : rvs(r, e), r == 65507 && memcmp(rxbuf, big, 65507) == 0 ? "intact" : "wrong");
    REQ(xconnect(c, to));
    out("connected_65508=%s", RV(send(c, big, 65508, 0)));
    out("then=%s", quiet(s));
    close(s);
    close(c);
}

/* maxsize6: over IPv6 the largest UDP payload is 65527 (65535 - 8; the IPv6
 * payload length excludes the fixed header): sent, fragmented, arrives
 * whole; 65528 is EMSGSIZE. */
static void c_maxsize6(int port)
{
    int s = udp_bound(AF_INET6, port), c = udp(AF_INET6);
    sa_t to = host(AF_INET6, port);
    out("65528=%s", RV(sendto(c, big, 65528, 0, (struct sockaddr *)&to.ss, to.len)));
    out("65527=%s", RV(sendto(c, big, 65527, 0, (struct sockaddr *)&to.ss, to.len)));
    int e;
    ssize_t r = rx_raw(s, sizeof rxbuf, 0, &e);
    out("got=%s/%s", r == -2 ? "timeout" : rvs(r, e), r == 65527 && memcmp(rxbuf, big, 65527) == 0 ? "intact" : "wrong");
    out("then=%s", quiet(s));
    close(s);
    close(c);
}

/* fionread: FIONREAD (SIOCINQ) is the size of the NEXT datagram, not the
 * sum of what is queued: 5 then 20 queued -> 5; after one read -> 20; empty
 * -> 0 (also on an unbound socket). */
static void c_fionread(int port)
{
    int s = udp_bound(AF_INET, port), c = udp(AF_INET), u = udp(AF_INET);
    out("fresh=%s", fionread(u));
    out("empty=%s", fionread(s));
    must_tx(c, "five!", host(AF_INET, port));
    must_tx(c, "twenty-bytes-of-data", host(AF_INET, port));
    need_ready(s, POLLIN);
    usleep(50000);
    out("two_queued=%s", fionread(s));
    out("read=%s", rxn(s, 64, 0));
    out("one_queued=%s", fionread(s));
    out("read=%s", rxn(s, 64, 0));
    out("drained=%s", fionread(s));
    close(s);
    close(c);
    close(u);
}

/* poll_readiness: a fresh (unbound) socket is writable only; bound and
 * idle, writable only; with two datagrams queued IN|OUT, still IN after
 * reading one, OUT only after reading the last. */
static void c_poll_readiness(int port)
{
    int u = udp(AF_INET6), s = udp_bound(AF_INET, port), c = udp(AF_INET);
    out("fresh=%s", poll_str(u, POLLIN | POLLOUT, 0));
    out("bound=%s", poll_str(s, POLLIN | POLLOUT, 0));
    must_tx(c, "1", host(AF_INET, port));
    must_tx(c, "2", host(AF_INET, port));
    need_ready(s, POLLIN);
    usleep(50000);
    out("two=%s", poll_str(s, POLLIN | POLLOUT, 0));
    out("read=%s", rx_now(s));
    out("one=%s", poll_str(s, POLLIN | POLLOUT, 0));
    out("read=%s", rx_now(s));
    out("none=%s", poll_str(s, POLLIN | POLLOUT, 0));
    close(u);
    close(s);
    close(c);
}

/* epoll_lt: level-triggered EPOLLIN|EPOLLOUT: OUT while idle, IN|OUT on
 * every wait while a datagram is queued, OUT again once it is read. */
static void c_epoll_lt(int port)
{
    int s = udp_bound(AF_INET, port), c = udp(AF_INET);
    int ep = (int)REQ(epoll_create1(EPOLL_CLOEXEC));
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.fd = s }, got[4];
    REQ(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
    int n = epoll_wait(ep, got, 4, 0);
    out("idle=%s:%s", RV(n), n == 1 ? eev(got[0].events) : "-");
    must_tx(c, "x", host(AF_INET, port));
    need_ready(s, POLLIN);
    n = epoll_wait(ep, got, 4, WAIT_MS);
    out("queued=%s:%s", RV(n), n == 1 ? eev(got[0].events) : "-");
    n = epoll_wait(ep, got, 4, 0);
    out("again=%s:%s", RV(n), n == 1 ? eev(got[0].events) : "-");
    out("read=%s", rx_now(s));
    n = epoll_wait(ep, got, 4, 0);
    out("after=%s:%s", RV(n), n == 1 ? eev(got[0].events) : "-");
    close(ep);
    close(s);
    close(c);
}

/* epoll_et: edge-triggered EPOLLIN fires once per arriving datagram: once
 * for the first, not again while it sits unread, once more for the second;
 * after reading both, nothing. */
static void c_epoll_et(int port)
{
    int s = udp_bound(AF_INET, port), c = udp(AF_INET);
    int ep = (int)REQ(epoll_create1(EPOLL_CLOEXEC));
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = s }, got[4];
    REQ(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
    out("idle=%s", RV(epoll_wait(ep, got, 4, QUIET_MS)));
    must_tx(c, "a", host(AF_INET, port));
    int n = epoll_wait(ep, got, 4, WAIT_MS);
    out("after_a=%s:%s", RV(n), n == 1 ? eev(got[0].events) : "-");
    out("unread=%s", RV(epoll_wait(ep, got, 4, QUIET_MS)));
    must_tx(c, "b", host(AF_INET, port));
    n = epoll_wait(ep, got, 4, WAIT_MS);
    out("after_b=%s:%s", RV(n), n == 1 ? eev(got[0].events) : "-");
    out("read=%s", rx_now(s));
    out("read=%s", rx_now(s));
    out("drained=%s", RV(epoll_wait(ep, got, 4, QUIET_MS)));
    close(ep);
    close(s);
    close(c);
}

/* rcvbuf_drop: with SO_RCVBUF at its minimum, 40 datagrams of 1000 bytes
 * sent without reading: some arrive, the rest are dropped (sendto still
 * succeeds every time - UDP has no flow control), and every datagram that
 * arrives is whole and intact - never split or merged.  The exact count is
 * the stack's business; only these facts print. */
static void c_rcvbuf_drop(int port)
{
    int s = udp_bound(AF_INET, port), c = udp(AF_INET);
    out("set=%s", sopt(s, SOL_SOCKET, SO_RCVBUF, 1));
    int rb = geti(s, SOL_SOCKET, SO_RCVBUF);
    out("small=%s", yesno(rb > 0 && rb <= 8192));
    int sent = 0;
    sa_t to = host(AF_INET, port);
    unsigned char d[1000];
    memcpy(d, big, sizeof d);
    for (int i = 0; i < 40; i++) {
        d[0] = (unsigned char)i;
        sent += sendto(c, d, sizeof d, 0, (struct sockaddr *)&to.ss, to.len) == 1000;
    }
    out("sent=%d", sent);
    usleep(100000);
    int got = 0, whole = 1, order = 1, last = -1;
    for (;;) {
        ssize_t r = recv(s, rxbuf, sizeof rxbuf, MSG_DONTWAIT);
        if (r < 0)
            break;
        got++;
        whole &= r == 1000 && memcmp(rxbuf + 1, big + 1, 999) == 0;
        order &= rxbuf[0] > last;
        last = rxbuf[0];
    }
    out("some_arrived=%s some_dropped=%s each_whole=%s in_order=%s", yesno(got > 0), yesno(got < 40),
        yesno(whole), yesno(order));
    close(s);
    close(c);
}

/* broadcast: from a socket bound to this host's address, sendto
 * 255.255.255.255 without SO_BROADCAST is EACCES (connect too); SO_BROADCAST
 * reads 0, set 1 reads 1, and then the same sendto succeeds and the sender's
 * own host loops it back to a socket bound to 0.0.0.0 on that port (from
 * ADDR4:P) but not to one bound to ADDR4 on it (both SO_REUSEADDR);
 * connect to the broadcast address needs SO_BROADCAST too. */
static void c_broadcast(int port)
{
    int c = udp_bound(AF_INET, port), d = udp_bound(AF_INET, port + 1), r = udp(AF_INET);
    REQ(setsockopt(d, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)));
    REQ(setsockopt(r, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)));
    REQ(xbind(r, any(AF_INET, port + 1)));
    sa_t bc = sa4(ip4("255.255.255.255"), port + 1);
    out("default=%s", gopt(c, SOL_SOCKET, SO_BROADCAST));
    out("without=%s", RV(tx(c, "b", bc)));
    out("connect_without=%s", RV(xconnect(d, bc)));
    out("set=%s", sopt(c, SOL_SOCKET, SO_BROADCAST, 1));
    out("get=%s", gopt(c, SOL_SOCKET, SO_BROADCAST));
    out("with=%s", RV(tx(c, "b", bc)));
    out("looped_to_any=%s", rxs(r));
    out("bound_host=%s", quiet(d));
    out("set_d=%s", sopt(d, SOL_SOCKET, SO_BROADCAST, 1));
    out("connect_with=%s", RV(xconnect(d, bc)));
    out("peer=%s", peername(d));
    close(c);
    close(d);
    close(r);
}

/* Find a control message in m; NULL if absent. */
static struct cmsghdr *find_cmsg(struct msghdr *m, int level, int type)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm))
        if (cm->cmsg_level == level && cm->cmsg_type == type)
            return cm;
    return NULL;
}

/* recvmsg with room for control messages; returns the length or -1. */
static char cmsgbuf[512];
static ssize_t rx_cmsg(int fd, struct msghdr *m, struct iovec *iov, sa_t *from)
{
    static char b[64];
    iov->iov_base = b;
    iov->iov_len = sizeof b;
    memset(m, 0, sizeof *m);
    from->len = sizeof from->ss;
    m->msg_name = &from->ss;
    m->msg_namelen = from->len;
    m->msg_iov = iov;
    m->msg_iovlen = 1;
    m->msg_control = cmsgbuf;
    m->msg_controllen = sizeof cmsgbuf;
    if (wait_fd(fd, POLLIN, WAIT_MS) <= 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    ssize_t r = recvmsg(fd, m, MSG_DONTWAIT);
    from->len = m->msg_namelen;
    return r;
}

/* Number of control messages in m. */
static int ncmsg(struct msghdr *m)
{
    int n = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm))
        n++;
    return n;
}

/* pktinfo4: IP_PKTINFO off by default; with it on, a socket bound to
 * 0.0.0.0 learns the datagram's destination (ipi_addr = ADDR4), the local
 * address a reply would use (ipi_spec_dst = ADDR4) and a nonzero ifindex;
 * without it there is no control message. */
static void c_pktinfo4(int port)
{
    int s = udp(AF_INET), c = udp(AF_INET);
    REQ(xbind(s, any(AF_INET, port)));
    out("default=%s", gopt(s, IPPROTO_IP, IP_PKTINFO));
    must_tx(c, "no", host(AF_INET, port));
    struct msghdr m;
    struct iovec iov;
    sa_t from;
    ssize_t r = rx_cmsg(s, &m, &iov, &from);
    out("off: recv=%s cmsgs=%d;", rvs(r, errno), ncmsg(&m));
    out("set=%s", sopt(s, IPPROTO_IP, IP_PKTINFO, 1));
    out("get=%s", gopt(s, IPPROTO_IP, IP_PKTINFO));
    must_tx(c, "yes", host(AF_INET, port));
    r = rx_cmsg(s, &m, &iov, &from);
    out("on: recv=%s", rvs(r, errno));
    struct cmsghdr *cm = r >= 0 ? find_cmsg(&m, IPPROTO_IP, IP_PKTINFO) : NULL;
    if (cm) {
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(cm), sizeof pi);
        out("cmsg_len=%zu ifindex_set=%s addr=%s spec_dst=%s flags=%s", (size_t)cm->cmsg_len,
            yesno(pi.ipi_ifindex > 0), fmt_in4(pi.ipi_addr), fmt_in4(pi.ipi_spec_dst), msgflags(m.msg_flags));
    } else {
        out("no_pktinfo");
    }
    close(s);
    close(c);
}

/* pktinfo6: IPV6_RECVPKTINFO delivers IPV6_PKTINFO with the destination
 * (ipi6_addr = ADDR6) and a nonzero ifindex. */
static void c_pktinfo6(int port)
{
    int s = udp(AF_INET6), c = udp(AF_INET6);
    REQ(xbind(s, any(AF_INET6, port)));
    out("default=%s", gopt(s, IPPROTO_IPV6, IPV6_RECVPKTINFO));
    out("set=%s", sopt(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1));
    out("get=%s", gopt(s, IPPROTO_IPV6, IPV6_RECVPKTINFO));
    must_tx(c, "yes", host(AF_INET6, port));
    struct msghdr m;
    struct iovec iov;
    sa_t from;
    ssize_t r = rx_cmsg(s, &m, &iov, &from);
    out("recv=%s", rvs(r, errno));
    struct cmsghdr *cm = r >= 0 ? find_cmsg(&m, IPPROTO_IPV6, IPV6_PKTINFO) : NULL;
    if (cm) {
        struct in6_pktinfo pi;
        memcpy(&pi, CMSG_DATA(cm), sizeof pi);
        out("cmsg_len=%zu ifindex_set=%s addr=%s", (size_t)cm->cmsg_len, yesno(pi.ipi6_ifindex > 0), fmt_in6(pi.ipi6_addr));
    } else {
        out("no_pktinfo");
    }
    close(s);
    close(c);
}

/* An int-valued control message's value ("absent" if none). */
static const char *cmsg_int(struct msghdr *m, int level, int type)
{
    struct cmsghdr *cm = find_cmsg(m, level, type);
    if (!cm)
        return "absent";
    char *s = sb();
    if (cm->cmsg_len == CMSG_LEN(1)) {
        snprintf(s, 160, "%u(1byte)", *(unsigned char *)CMSG_DATA(cm));
    } else {
        int v;
        memcpy(&v, CMSG_DATA(cm), sizeof v);
        snprintf(s, 160, "%d", v);
    }
    return s;
}

/* recvttl: IP_TTL reads 64 by default (the kernel's default TTL for
 * loopback, net.ipv4.ip_default_ttl); IP_RECVTTL delivers IP_TTL as an int:
 * 64 for a default sender, 7 after the sender sets IP_TTL 7; IP_TTL 0 and
 * 256 are EINVAL, -1 restores the default. */
static void c_recvttl(int port)
{
    int s = udp_bound(AF_INET, port), c = udp(AF_INET);
    out("ttl=%s", gopt(c, IPPROTO_IP, IP_TTL));
    out("recvttl=%s", gopt(s, IPPROTO_IP, IP_RECVTTL));
    out("set=%s", sopt(s, IPPROTO_IP, IP_RECVTTL, 1));
    must_tx(c, "d", host(AF_INET, port));
    struct msghdr m;
    struct iovec iov;
    sa_t from;
    ssize_t r = rx_cmsg(s, &m, &iov, &from);
    out("default: recv=%s ttl=%s", rvs(r, errno), r >= 0 ? cmsg_int(&m, IPPROTO_IP, IP_TTL) : "-");
    out("set7=%s", sopt(c, IPPROTO_IP, IP_TTL, 7));
    out("get=%s", gopt(c, IPPROTO_IP, IP_TTL));
    must_tx(c, "7", host(AF_INET, port));
    r = rx_cmsg(s, &m, &iov, &from);
    out("set: recv=%s ttl=%s", rvs(r, errno), r >= 0 ? cmsg_int(&m, IPPROTO_IP, IP_TTL) : "-");
    out("zero=%s", sopt(c, IPPROTO_IP, IP_TTL, 0));
    out("256=%s", sopt(c, IPPROTO_IP, IP_TTL, 256));
    out("minus1=%s", sopt(c, IPPROTO_IP, IP_TTL, -1));
    out("get=%s", gopt(c, IPPROTO_IP, IP_TTL));
    close(s);
    close(c);
}

/* recvtos: IP_TOS reads 0; set 0x10 reads 0x10 (16) on UDP (ECN bits are
 * kept too: 0x12 -> 18); IP_RECVTOS delivers IP_TOS as ONE byte: 0 from a
 * default sender, the sender's TOS after it sets one. */
static void c_recvtos(int port)
{
    int s = udp_bound(AF_INET, port), c = udp(AF_INET);
    out("tos=%s", gopt(c, IPPROTO_IP, IP_TOS));
    out("set=%s", sopt(s, IPPROTO_IP, IP_RECVTOS, 1));
    out("get=%s", gopt(s, IPPROTO_IP, IP_RECVTOS));
    must_tx(c, "d", host(AF_INET, port));
    struct msghdr m;
    struct iovec iov;
    sa_t from;
    ssize_t r = rx_cmsg(s, &m, &iov, &from);
    out("default: recv=%s tos=%s", rvs(r, errno), r >= 0 ? cmsg_int(&m, IPPROTO_IP, IP_TOS) : "-");
    out("set16=%s", sopt(c, IPPROTO_IP, IP_TOS, 0x10));
    out("get=%s", gopt(c, IPPROTO_IP, IP_TOS));
    must_tx(c, "t", host(AF_INET, port));
    r = rx_cmsg(s, &m, &iov, &from);
    out("set: recv=%s tos=%s", rvs(r, errno), r >= 0 ? cmsg_int(&m, IPPROTO_IP, IP_TOS) : "-");
    out("set18=%s", sopt(c, IPPROTO_IP, IP_TOS, 0x12));
    out("get=%s", gopt(c, IPPROTO_IP, IP_TOS));
    close(s);
    close(c);
}

/* hoplimit6: IPV6_UNICAST_HOPS reads 64; IPV6_RECVHOPLIMIT delivers
 * IPV6_HOPLIMIT as an int (64, then 9 after the sender sets 9);
 * IPV6_TCLASS reads 0, set 0x20 reads 32, and IPV6_RECVTCLASS delivers it. */
static void c_hoplimit6(int port)
{
    int s = udp_bound(AF_INET6, port), c = udp(AF_INET6);
    out("hops=%s", gopt(c, IPPROTO_IPV6, IPV6_UNICAST_HOPS));
    out("set=%s", sopt(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1));
    out("set_tc=%s", sopt(s, IPPROTO_IPV6, IPV6_RECVTCLASS, 1));
    must_tx(c, "d", host(AF_INET6, port));
    struct msghdr m;
    struct iovec iov;
    sa_t from;
    ssize_t r = rx_cmsg(s, &m, &iov, &from);
    out("default: recv=%s hop=%s", rvs(r, errno), r >= 0 ? cmsg_int(&m, IPPROTO_IPV6, IPV6_HOPLIMIT) : "-");
    out("tclass=%s", r >= 0 ? cmsg_int(&m, IPPROTO_IPV6, IPV6_TCLASS) : "-");
    out("set9=%s", sopt(c, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9));
    out("get=%s", gopt(c, IPPROTO_IPV6, IPV6_UNICAST_HOPS));
    out("tc=%s", gopt(c, IPPROTO_IPV6, IPV6_TCLASS));
    out("set_tc32=%s", sopt(c, IPPROTO_IPV6, IPV6_TCLASS, 0x20));
    out("get=%s", gopt(c, IPPROTO_IPV6, IPV6_TCLASS));
    must_tx(c, "9", host(AF_INET6, port));
    r = rx_cmsg(s, &m, &iov, &from);
    out("set: recv=%s hop=%s", rvs(r, errno), r >= 0 ? cmsg_int(&m, IPPROTO_IPV6, IPV6_HOPLIMIT) : "-");
    out("tclass=%s", r >= 0 ? cmsg_int(&m, IPPROTO_IPV6, IPV6_TCLASS) : "-");
    close(s);
    close(c);
}

/* mcast4_opts: IP_MULTICAST_TTL reads 1, set 5 reads 5 (256 EINVAL);
 * IP_MULTICAST_LOOP reads 1, set 0 reads 0; IP_MULTICAST_IF reads 0.0.0.0,
 * set to this host's address reads it back; set to an address this host
 * does not have is EADDRNOTAVAIL. */
static void c_mcast4_opts(int port)
{
    int s = udp(AF_INET);
    out("ttl=%s", gopt(s, IPPROTO_IP, IP_MULTICAST_TTL));
    out("set=%s", sopt(s, IPPROTO_IP, IP_MULTICAST_TTL, 5));
    out("get=%s", gopt(s, IPPROTO_IP, IP_MULTICAST_TTL));
    out("set256=%s", sopt(s, IPPROTO_IP, IP_MULTICAST_TTL, 256));
    out("loop=%s", gopt(s, IPPROTO_IP, IP_MULTICAST_LOOP));
    out("set=%s", sopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, 0));
    out("get=%s", gopt(s, IPPROTO_IP, IP_MULTICAST_LOOP));
    struct in_addr a = ip4("1.2.3.4");
    socklen_t len = sizeof a;
    int r = getsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &a, &len);
    out("if=%s:%s", RV(r), fmt_in4(a));
    out("set_if=%s", RV(setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &addr4, sizeof addr4)));
    len = sizeof a;
    r = getsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &a, &len);
    out("get_if=%s:%s", RV(r), fmt_in4(a));
    struct in_addr foreign = ip4("198.51.100.1");
    out("set_foreign_if=%s", RV(setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &foreign, sizeof foreign)));
    close(s);
}

/* mcast4_membership: IP_ADD_MEMBERSHIP of 239.1.2.3 on this host's
 * address: 0; the same again EADDRINUSE; a unicast group EINVAL;
 * IP_DROP_MEMBERSHIP 0, again EADDRNOTAVAIL, a group never joined
 * EADDRNOTAVAIL; ip_mreqn by ifindex 0 and this address works too; a
 * short optlen is EINVAL.  Joined again, a datagram sent to the group with
 * IP_MULTICAST_IF = this address (loop on by default) comes back to the
 * member from ADDR4. */
static void c_mcast4_membership(int port)
{
    int s = udp(AF_INET);
    REQ(xbind(s, any(AF_INET, port)));
    struct ip_mreq mr = { .imr_multiaddr = ip4("239.1.2.3"), .imr_interface = addr4 };
    out("add=%s", RV(setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr)));
    out("add_again=%s", RV(setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr)));
    struct ip_mreq bad = { .imr_multiaddr = addr4, .imr_interface = addr4 };
    out("add_unicast=%s", RV(setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &bad, sizeof bad)));
    out("drop=%s", RV(setsockopt(s, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mr, sizeof mr)));
    out("drop_again=%s", RV(setsockopt(s, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mr, sizeof mr)));
    struct ip_mreq never = { .imr_multiaddr = ip4("239.9.9.9"), .imr_interface = addr4 };
    out("drop_never=%s", RV(setsockopt(s, IPPROTO_IP, IP_DROP_MEMBERSHIP, &never, sizeof never)));
    struct ip_mreqn mn = { .imr_multiaddr = ip4("239.1.2.4"), .imr_address = addr4, .imr_ifindex = 0 };
    out("add_mreqn=%s", RV(setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mn, sizeof mn)));
    out("drop_mreqn=%s", RV(setsockopt(s, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mn, sizeof mn)));
    out("short=%s", RV(setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, 4)));
    int c = udp(AF_INET);
    REQ(setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr));
    REQ(setsockopt(c, IPPROTO_IP, IP_MULTICAST_IF, &addr4, sizeof addr4));
    out("send_group=%s", RV(tx(c, "mc", sa4(ip4("239.1.2.3"), port))));
    out("looped=%s", rxs(s));
    close(c);
    close(s);
}

/* mcast6_opts: IPV6_MULTICAST_HOPS reads 1, set 5 reads 5, -1 restores 1;
 * IPV6_MULTICAST_LOOP reads 1, set 0 reads 0 (2 is EINVAL);
 * IPV6_MULTICAST_IF reads 0; IPV6_LEAVE_GROUP of a group never joined is
 * EADDRNOTAVAIL, IPV6_JOIN_GROUP of a unicast address EINVAL. */
static void c_mcast6_opts(int port)
{
    int s = udp(AF_INET6);
    out("hops=%s", gopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS));
    out("set=%s", sopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 5));
    out("get=%s", gopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS));
    out("minus1=%s", sopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, -1));
    out("get=%s", gopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS));
    out("loop=%s", gopt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP));
    out("set=%s", sopt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0));
    out("get=%s", gopt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP));
    out("set2=%s", sopt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 2));
    out("if=%s", gopt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF));
    struct ipv6_mreq mr = { .ipv6mr_multiaddr = ip6("ff15::1234"), .ipv6mr_interface = 0 };
    out("leave_never=%s", RV(setsockopt(s, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &mr, sizeof mr)));
    struct ipv6_mreq bad = { .ipv6mr_multiaddr = addr6, .ipv6mr_interface = 0 };
    out("join_unicast=%s", RV(setsockopt(s, IPPROTO_IPV6, IPV6_JOIN_GROUP, &bad, sizeof bad)));
    close(s);
}

/* so_error: SO_ERROR is 0 on a fresh socket, a bound one, a connected one
 * and one that just sent/received. */
static void c_so_error(int port)
{
    int u = udp(AF_INET6), s = udp_bound(AF_INET, port), c = udp(AF_INET);
    out("fresh=%s", so_error(u));
    out("bound=%s", so_error(s));
    REQ(xconnect(c, host(AF_INET, port)));
    out("connected=%s", so_error(c));
    REQ(send(c, "x", 1, 0));
    out("got=%s", rxs(s));
    out("after=%s,%s", so_error(s), so_error(c));
    close(u);
    close(s);
    close(c);
}

/* shutdown_unconnected: shutdown on an unconnected UDP socket is ENOTCONN
 * for every how (an invalid how is EINVAL) - yet Linux records the shutdown
 * all the same: after SHUT_RD the socket polls IN|RDHUP, a MSG_DONTWAIT recv
 * on the empty socket is EAGAIN but a blocking one returns 0 at once, and a
 * datagram sent to it is still queued and read; after SHUT_WR sendto is
 * EPIPE; after SHUT_RDWR poll adds HUP. */
static void c_shutdown_unconnected(int port)
{
    int u = udp_bound(AF_INET, port), c = udp(AF_INET), w = udp_bound(AF_INET, port + 1);
    char b[8];
    rcvtimeo(u, 500);
    out("bad=%s", RV(shutdown(u, 7)));
    out("rd=%s", RV(shutdown(u, SHUT_RD)));
    out("poll=%s", poll_str(u, POLLIN | POLLOUT | POLLRDHUP, 0));
    out("recv_dontwait=%s", RV(recv(u, b, sizeof b, MSG_DONTWAIT)));
    out("recv=%s", RV(recv(u, b, sizeof b, 0)));
    must_tx(c, "x", host(AF_INET, port));
    usleep(QUIET_MS * 1000);
    out("fionread=%s", fionread(u));
    out("recv_after_send=%s;", RV(recv(u, b, sizeof b, MSG_DONTWAIT)));
    out("wr=%s", RV(shutdown(w, SHUT_WR)));
    out("poll=%s", poll_str(w, POLLIN | POLLOUT, 0));
    sa_t to = host(AF_INET, port);
    out("sendto=%s", RV(sendto(w, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&to.ss, to.len)));
    out("rdwr=%s", RV(shutdown(c, SHUT_RDWR)));
    out("poll=%s", poll_str(c, POLLIN | POLLOUT | POLLRDHUP, 0));
    close(u);
    close(c);
    close(w);
}

/* shutdown_connected: on a connected UDP socket shutdown succeeds: after
 * SHUT_WR send is EPIPE (MSG_NOSIGNAL here) and the socket still receives;
 * after SHUT_RD it polls IN|OUT|HUP|RDHUP (HUP: both directions are now
 * shut), a blocking recv returns 0 at once (and again) while MSG_DONTWAIT is
 * EAGAIN; SHUT_RDWR alone polls the same, and may be repeated (0). */
static void c_shutdown_connected(int port)
{
    int s = udp_bound(AF_INET, port), p = udp_bound(AF_INET, port + 1);
    char b[8];
    rcvtimeo(s, 500);
    REQ(xconnect(s, host(AF_INET, port + 1)));
    out("wr=%s", RV(shutdown(s, SHUT_WR)));
    out("poll=%s", poll_str(s, POLLIN | POLLOUT | POLLRDHUP, 0));
    out("send=%s", RV(send(s, "x", 1, MSG_NOSIGNAL)));
    out("peer=%s", quiet(p));
    must_tx(p, "in", host(AF_INET, port));
    out("recv=%s", rxs(s));
    out("rd=%s", RV(shutdown(s, SHUT_RD)));
    out("poll=%s", poll_str(s, POLLIN | POLLOUT | POLLRDHUP, 0));
    out("recv=%s", RV(recv(s, b, sizeof b, 0)));
    out("recv2=%s", RV(recv(s, b, sizeof b, 0)));
    out("recv_dontwait=%s;", RV(recv(s, b, sizeof b, MSG_DONTWAIT)));
    int t = udp(AF_INET);
    REQ(xconnect(t, host(AF_INET, port + 1)));
    out("rdwr=%s", RV(shutdown(t, SHUT_RDWR)));
    out("poll=%s", poll_str(t, POLLIN | POLLOUT | POLLRDHUP, 0));
    out("again=%s", RV(shutdown(t, SHUT_RDWR)));
    close(s);
    close(p);
    close(t);
}

/* close_queued: closing a socket with datagrams queued loses them without
 * any sign to the sender (who may go on sending: 0 errors); the port is
 * free at once (no TIME_WAIT) and a new socket on it starts empty. */
static void c_close_queued(int port)
{
    int s = udp_bound(AF_INET, port), c = udp(AF_INET);
    must_tx(c, "lost1", host(AF_INET, port));
    must_tx(c, "lost2", host(AF_INET, port));
    need_ready(s, POLLIN);
    out("close=%s", RV(close(s)));
    int n = udp(AF_INET);
    out("rebind=%s", RV(xbind(n, host(AF_INET, port))));
    out("new=%s", quiet(n));
    out("send_after=%s", RV(tx(c, "new", host(AF_INET, port))));
    out("got=%s", rxs(n));
    out("sender_error=%s", so_error(c));
    close(n);
    close(c);
}

/* refused_connected (both families): a connected socket sending to a port
 * nobody has bound gets the ICMP port unreachable as a pending
 * ECONNREFUSED, reported once by whichever call comes next: poll(POLLIN)
 * wakes with ERR, recv fails ECONNREFUSED (then EAGAIN); after another
 * send (1) the next send fails ECONNREFUSED and the one after is 1 again;
 * after a third ICMP SO_ERROR reads ECONNREFUSED, then 0, and poll is OUT. */
static void c_refused_connected(int port)
{
    for (int i = 0; i < 2; i++) {
        int f = fams[i], c = udp(f);
        char b[8];
        REQ(xconnect(c, host(f, port)));
        out("%s: send=%s", famname(f), RV(send(c, "x", 1, 0)));
        int r = wait_fd(c, POLLIN, WAIT_MS);
        out("poll=%s", r < 0 ? rvs(-1, errno) : pev(r));
        out("recv=%s", RV(recv(c, b, sizeof b, MSG_DONTWAIT)));
        out("recv2=%s", RV(recv(c, b, sizeof b, MSG_DONTWAIT)));
        out("send=%s", RV(send(c, "x", 1, 0)));
        wait_fd(c, POLLIN, WAIT_MS);
        out("send=%s", RV(send(c, "x", 1, 0)));
        out("send=%s", RV(send(c, "x", 1, 0)));
        wait_fd(c, POLLIN, WAIT_MS);
        out("so_error=%s", so_error(c));
        out("so_error2=%s", so_error(c));
        out("poll=%s%s", poll_str(c, POLLIN | POLLOUT, 0), i ? "" : ";");
        close(c);
    }
}

/* refused_unconnected: an unconnected socket sending to a port nobody has
 * bound sees nothing (Linux reports ICMP errors on unconnected UDP sockets
 * only with IP_RECVERR): no ERR in poll, recv EAGAIN, SO_ERROR 0, the next
 * sendto succeeds. */
static void c_refused_unconnected(int port)
{
    int c = udp(AF_INET);
    char b[8];
    out("sendto=%s", RV(tx(c, "x", host(AF_INET, port))));
    out("poll=%s", poll_str(c, POLLIN, QUIET_MS));
    out("recv=%s", RV(recv(c, b, sizeof b, MSG_DONTWAIT)));
    out("so_error=%s", so_error(c));
    out("sendto=%s", RV(tx(c, "x", host(AF_INET, port))));
    out("poll=%s", poll_str(c, POLLIN | POLLOUT, QUIET_MS));
    close(c);
}

/* options: SO_RCVBUF/SO_SNDBUF set to 65536 read back doubled (131072);
 * SO_REUSEADDR/SO_KEEPALIVE set and read back on UDP too; SO_DONTROUTE
 * reads 0; TCP_NODELAY on a UDP socket: set ENOPROTOOPT, get EOPNOTSUPP
 * (the UDP layer answers for IPPROTO_TCP); unknown level or SOL_SOCKET
 * option: ENOPROTOOPT. */
static void c_options(int port)
{
    int fd = udp(AF_INET);
    out("rcvbuf: set=%s", sopt(fd, SOL_SOCKET, SO_RCVBUF, 65536));
    out("get=%s", gopt(fd, SOL_SOCKET, SO_RCVBUF));
    out("sndbuf: set=%s", sopt(fd, SOL_SOCKET, SO_SNDBUF, 65536));
    out("get=%s", gopt(fd, SOL_SOCKET, SO_SNDBUF));
    out("reuseaddr=%s", gopt(fd, SOL_SOCKET, SO_REUSEADDR));
    out("set=%s", sopt(fd, SOL_SOCKET, SO_REUSEADDR, 1));
    out("get=%s", gopt(fd, SOL_SOCKET, SO_REUSEADDR));
    out("keepalive: set=%s", sopt(fd, SOL_SOCKET, SO_KEEPALIVE, 1));
    out("get=%s", gopt(fd, SOL_SOCKET, SO_KEEPALIVE));
    out("dontroute=%s", gopt(fd, SOL_SOCKET, SO_DONTROUTE));
    out("nodelay=%s", sopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, 1));
    out("get_nodelay=%s", gopt(fd, IPPROTO_TCP, 1));
    out("bad_level=%s", sopt(fd, 12345, 1, 1));
    out("bad_sol_socket=%s", sopt(fd, SOL_SOCKET, 9999, 1));
    close(fd);
}

/* listen_accept: listen and accept on a UDP socket are EOPNOTSUPP, bound
 * or not; accept4 as well. */
static void c_listen_accept(int port)
{
    int u = udp(AF_INET), b = udp_bound(AF_INET6, port);
    out("listen=%s", RV(listen(u, 4)));
    out("listen_bound=%s", RV(listen(b, 4)));
    out("accept=%s", RV(accept(b, NULL, NULL)));
    out("accept4=%s", RV(accept4(b, NULL, NULL, SOCK_CLOEXEC)));
    out("name=%s", sockname(u));
    close(u);
    close(b);
}

/* fork_shared: a bound socket is shared with a child by fork: the child
 * receives the datagram queued on it and sends one from it (the peer sees
 * it from ADDR4:P); after the child exits the parent's copy still works. */
static void c_fork_shared(int port)
{
    int s = udp_bound(AF_INET, port), peer = udp_bound(AF_INET, port + 1);
    must_tx(peer, "to-child", host(AF_INET, port));
    fflush(NULL);
    pid_t p = fork();
    if (p < 0)
        setup_fail("fork", errno);
    if (p == 0) {
        if (result_fd >= 0)
            close(result_fd);
        alarm(5);
        char b[16];
        if (wait_fd(s, POLLIN, WAIT_MS) <= 0)
            _exit(3);
        ssize_t r = recv(s, b, sizeof b, MSG_DONTWAIT);
        if (r != 8 || memcmp(b, "to-child", 8))
            _exit(4);
        _exit(tx(s, "from-child", host(AF_INET, port + 1)) == 10 ? 0 : 5);
    }
    int st = -1;
    waitpid(p, &st, 0);
    out("child=%s", WIFEXITED(st) ? rvs(WEXITSTATUS(st), 0) : "killed");
    out("peer_got=%s", rxs(peer));
    must_tx(peer, "to-parent", host(AF_INET, port));
    out("parent_got=%s", rxs(s));
    close(s);
    close(peer);
}

/* ------------------------------------------------------------------ */
/* Case table and runner                                               */

static const struct kase cases[] = {
#define C(n) { .name = #n, .fn = c_##n }
    C(socket_flags), C(sockname_unbound),
    C(bind_addr), C(bind_port0), C(bind_twice), C(bind_inuse), C(bind_wildcard_first),
    C(bind_reuseaddr), C(bind_reuseport), C(bind_nonlocal), C(bind_badaddr),
    C(v6only), C(dualstack_recv), C(v6only_recv),
    C(connect_peer), C(connect_mapped), C(connect_filter), C(connect_unspec), C(connect_reconnect),
    C(connect_errors), C(autobind_sendto),
    C(send_unconnected), C(sendto_connected), C(send_variants), C(sendmsg_name),
    C(recv_variants), C(recvfrom_addrlen), C(sendmmsg), C(recvmmsg),
    C(peek), C(trunc), C(dontwait), C(zero_length), C(boundaries), C(maxsize4), C(maxsize6),
    C(fionread), C(poll_readiness), C(epoll_lt), C(epoll_et), C(rcvbuf_drop),
    C(broadcast), C(pktinfo4), C(pktinfo6), C(recvttl), C(recvtos), C(hoplimit6),
    C(mcast4_opts), C(mcast4_membership), C(mcast6_opts),
    C(so_error), C(shutdown_unconnected), C(shutdown_connected), C(close_queued),
    C(refused_connected), C(refused_unconnected), C(options), C(listen_accept), C(fork_shared),
#undef C
};
#define NCASES (sizeof cases / sizeof cases[0])
int main(int argc, char **argv)
{
    fill_pattern();
    return conformance_main(argc, argv, cases, NCASES, NULL, NULL, NULL);
}

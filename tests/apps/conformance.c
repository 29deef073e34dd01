/*
 * conformance - socket-semantics cases whose output is diffed kernel vs netcon.
 *
 * The harness runs this program once on the kernel (fresh network namespace,
 * only `lo` up) and once with its sockets redirected through netcon, and diffs
 * the two outputs.  Every case prints exactly one line, "name: tokens...", made
 * only of things the kernel defines precisely: return values, errno names,
 * addresses, option values, readiness.  Never times, pids or port numbers the
 * kernel picks (those print as "ephemeral").
 *
 *   conformance [-a ADDR4] [-A ADDR6] [-k] [-l] [CASE...]
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
 * Fixed ports are 31100 + 2*index (a case may use its port and port+1).  They
 * lie below the kernel's ephemeral range (32768..60999) on purpose: a client's
 * ephemeral port could otherwise land on a later case's fixed port and, while
 * in TIME_WAIT, make that case's bind fail with EADDRINUSE at random.
 *
 * Every wait is bounded (poll/epoll timeouts <= 2 s); a per-case watchdog
 * (alarm) catches blocking calls that never return.  The exit status is 0
 * unless the program itself cannot run (bad usage, pipe/fork failure).
 * A step that is setup rather than the thing under test and fails ends the
 * case's line with "SETUP_FAILED(<expression>)=-1/ERRNO".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BASE_PORT    31100
#include "conformance.h"

static void set_nonblock(int fd, int on)
{
    int f = (int)REQ(fcntl(fd, F_GETFL));
    REQ(fcntl(fd, F_SETFL, on ? f | O_NONBLOCK : f & ~O_NONBLOCK));
}

/* Read exactly n bytes (or until EOF/error/2 s of silence); returns count. */
static size_t readn(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        if (wait_fd(fd, POLLIN, WAIT_MS) <= 0)
            break;
        ssize_t r = recv(fd, (char *)buf + got, n - got, MSG_DONTWAIT);
        if (r < 0 && errno == EAGAIN)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* Read n bytes and show them as a quoted string (n <= 60). */
static const char *read_str(int fd, size_t n)
{
    char buf[64];
    size_t got = readn(fd, buf, n);
    char *s = sb();
    snprintf(s, 160, "\"%.*s\"", (int)got, buf);
    return s;
}

/* What the next read brings after waiting up to 2 s: eof, data, -1/ERR, timeout. */
static const char *next_read(int fd)
{
    char c;
    if (wait_fd(fd, POLLIN, WAIT_MS) == 0)
        return "timeout";
    ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);
    return r == 0 ? "eof" : r > 0 ? "data" : rvs(-1, errno);
}

#include "conformance_tcp.h"

/* A connected pair over this host's address: *c client, *s accepted end. */
static void tcp_pair(int fam, int port, int *c, int *s)
{
    int l = tcp_listen(fam, port, 8);
    *c = tcp_socket(fam);
    REQ(xconnect(*c, host(fam, port)));
    *s = accept_wait(l);
    close(l);
}

static ssize_t send_str(int fd, const char *s) { return send(fd, s, strlen(s), MSG_NOSIGNAL); }

/* fork() for helpers inside a case: the helper must not hold the result
 * pipe (the parent reads it to EOF) and must not outlive its watchdog. */
static pid_t xfork(void)
{
    fflush(NULL);
    pid_t p = fork();
    if (p == 0) {
        if (result_fd >= 0)
            close(result_fd);
        alarm(5);
    }
    return p;
}

static const char *wait_child(pid_t p)
{
    int st;
    if (waitpid(p, &st, 0) < 0)
        return rvs(-1, errno);
    char *s = sb();
    if (WIFEXITED(st))
        snprintf(s, 160, "exit%d", WEXITSTATUS(st));
    else
        snprintf(s, 160, "SIG%s", sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?");
    return s;
}

/* ------------------------------------------------------------------ */
/* Bulk transfer: both ends non-blocking, driven by one poll loop.     */

#define BULK (1u << 20)
static unsigned char sendbuf[2][BULK], recvbuf[2][BULK];

struct pump {
    size_t n[2];        /* bytes side i writes */
    int shut[2];        /* side i does shutdown(SHUT_WR) after writing */
    int want_eof[2];    /* side i reads until EOF (else until n[!i] bytes) */
    size_t wrote[2], got[2];
    int eof[2], extra[2], err[2], stalled;
    const char *shut_rc[2];
};

static void fill_pattern(void)
{
    uint32_t x = 0x12345678;
    for (int d = 0; d < 2; d++)
        for (size_t i = 0; i < BULK; i++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            sendbuf[d][i] = (unsigned char)x;
        }
}

static void pump(int fd[2], struct pump *p)
{
    for (int i = 0; i < 2; i++) {
        set_nonblock(fd[i], 1);
        p->shut_rc[i] = "-";
    }
    for (;;) {
        int done = 1;
        struct pollfd pf[2];
        for (int i = 0; i < 2; i++) {
            int rdone = p->want_eof[i] ? p->eof[i] : p->got[i] >= p->n[!i];
            int wdone = p->wrote[i] >= p->n[i];
            done &= rdone && wdone;
            pf[i].fd = fd[i];
            pf[i].events = (short)((rdone ? 0 : POLLIN) | (wdone ? 0 : POLLOUT));
            pf[i].revents = 0;
        }
        if (done || p->err[0] || p->err[1])
            break;
        int n = poll(pf, 2, WAIT_MS);
        if (n == 0) { p->stalled = 1; break; }
        if (n < 0 && errno != EINTR) { p->err[0] = errno; break; }
        for (int i = 0; i < 2; i++) {
            if ((pf[i].revents & (POLLOUT | POLLERR | POLLHUP)) && p->wrote[i] < p->n[i]) {
                size_t chunk = p->n[i] - p->wrote[i] < 65536 ? p->n[i] - p->wrote[i] : 65536;
                ssize_t w = send(fd[i], sendbuf[i] + p->wrote[i], chunk, MSG_NOSIGNAL);
                if (w > 0)
                    p->wrote[i] += (size_t)w;
                else if (w < 0 && errno != EAGAIN)
                    p->err[i] = errno;
                if (p->wrote[i] == p->n[i] && p->shut[i])
                    p->shut_rc[i] = RV(shutdown(fd[i], SHUT_WR));
            }
            if (pf[i].revents & (POLLIN | POLLERR | POLLHUP)) {
                unsigned char scratch[4096];
                size_t room = BULK - p->got[i];
                ssize_t r = room ? recv(fd[i], recvbuf[i] + p->got[i], room, 0)
                                 : recv(fd[i], scratch, sizeof scratch, 0);
                if (r == 0)
                    p->eof[i] = 1;
                else if (r > 0 && room)
                    p->got[i] += (size_t)r;
                else if (r > 0)
                    p->extra[i] = 1;
                else if (errno != EAGAIN)
                    p->err[i] = errno;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        set_nonblock(fd[i], 0);
}

/* "N/intact" if side i received exactly what the other side sent. */
static const char *pump_got(struct pump *p, int i)
{
    char *s = sb();
    int ok = p->got[i] == p->n[!i] && !p->extra[i] && memcmp(recvbuf[i], sendbuf[!i], p->got[i]) == 0;
    snprintf(s, 160, "%zu/%s", p->got[i], ok ? "intact" : "corrupt");
    return s;
}

static void pump_report(struct pump *p)
{
    if (p->stalled)
        out("STALLED");
    for (int i = 0; i < 2; i++)
        if (p->err[i])
            out("%s_err=%s", i ? "server" : "client", ename(p->err[i]));
}

/* ================================================================== */
/* Cases                                                              */
/* ================================================================== */

static const char *famname(int f) { return f == AF_INET ? "INET" : f == AF_INET6 ? "INET6" : f == AF_UNIX ? "UNIX" : "other"; }

/* socket_flags: SOCK_NONBLOCK|SOCK_CLOEXEC at creation must show up in
 * F_GETFL/F_GETFD, and the socket must identify itself as a TCP stream
 * socket of its family (programs and libraries query SO_TYPE/SO_DOMAIN/
 * SO_PROTOCOL, e.g. systemd socket activation, libuv), not listening, no
 * pending error.  A plain socket() has neither flag. */
static void c_socket_flags(int port)
{
    static const int fams[] = { AF_INET, AF_INET6 };
    for (int i = 0; i < 2; i++) {
        int fd = (int)REQ(socket(fams[i], SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        int t = geti(fd, SOL_SOCKET, SO_TYPE), d = geti(fd, SOL_SOCKET, SO_DOMAIN);
        int pr = geti(fd, SOL_SOCKET, SO_PROTOCOL);
        out("%s: fl=%s fd=%s type=%s domain=%s proto=%s acceptconn=%s error=%s;", famname(fams[i]),
            flfl(fd), fdfl(fd), t == SOCK_STREAM ? "STREAM" : rvs(t, 0), famname(d),
            pr == IPPROTO_TCP ? "TCP" : rvs(pr, 0), gopt(fd, SOL_SOCKET, SO_ACCEPTCONN), so_error(fd));
        close(fd);
    }
    int fd = (int)REQ(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
    out("plain: fl=%s fd=%s", flfl(fd), fdfl(fd));
    close(fd);
}

/* sockname_unbound: a fresh socket's name is the wildcard with port 0 and
 * full-size addrlen; it has no peer (ENOTCONN). */
static void c_sockname_unbound(int port)
{
    static const int fams[] = { AF_INET, AF_INET6 };
    for (int i = 0; i < 2; i++) {
        int fd = tcp_socket(fams[i]);
        sa_t n = rawname(fd, 0);
        out("%s: getsockname=%s len=%u getpeername=%s%s", famname(fams[i]), sockname(fd),
            (unsigned)n.len, peername(fd), i ? "" : ";");
        close(fd);
    }
}

/* bind_addr: binding this host's address and a fixed port succeeds and
 * getsockname reports exactly that, in both families. */
static void c_bind_addr(int port)
{
    int a = tcp_socket(AF_INET), b = tcp_socket(AF_INET6);
    out("inet: bind=%s", RV(xbind(a, host(AF_INET, port))));
    out("name=%s;", sockname(a));
    out("inet6: bind=%s", RV(xbind(b, host(AF_INET6, port + 1))));
    out("name=%s", sockname(b));
    close(a);
    close(b);
}

/* bind_port0: port 0 asks the stack to choose; the chosen port must be a
 * real one from the ephemeral range, and the address stays as given. */
static void c_bind_port0(int port)
{
    int a = tcp_socket(AF_INET), b = tcp_socket(AF_INET), c = tcp_socket(AF_INET6);
    out("host: bind=%s", RV(xbind(a, host(AF_INET, 0))));
    out("name=%s;", sockname(a));
    out("any: bind=%s", RV(xbind(b, any(AF_INET, 0))));
    out("name=%s;", sockname(b));
    out("any6: bind=%s", RV(xbind(c, any(AF_INET6, 0))));
    out("name=%s", sockname(c));
    close(a);
    close(b);
    close(c);
}

/* bind_twice: a bound socket cannot be bound again, to the same or another
 * port (EINVAL), and its name does not change. */
static void c_bind_twice(int port)
{
    int a = tcp_socket(AF_INET);
    out("bind1=%s", RV(xbind(a, host(AF_INET, port))));
    out("same=%s", RV(xbind(a, host(AF_INET, port))));
    out("other=%s", RV(xbind(a, host(AF_INET, port + 1))));
    out("name=%s", sockname(a));
    close(a);
}

/* bind_inuse: without SO_REUSEADDR a second socket cannot take the same
 * address:port, nor the wildcard on that port (it overlaps). */
static void c_bind_inuse(int port)
{
    int a = tcp_socket(AF_INET), b = tcp_socket(AF_INET), c = tcp_socket(AF_INET);
    out("first=%s", RV(xbind(a, host(AF_INET, port))));
    out("same=%s", RV(xbind(b, host(AF_INET, port))));
    out("wildcard=%s", RV(xbind(c, any(AF_INET, port))));
    close(a);
    close(b);
    close(c);
}

/* bind_reuseaddr: with SO_REUSEADDR on both and neither listening, both
 * binds succeed; then only one of them may listen (the second listen gets
 * EADDRINUSE) - the situation of two server instances started together. */
static void c_bind_reuseaddr(int port)
{
    int a = tcp_socket(AF_INET), b = tcp_socket(AF_INET);
    out("opt1=%s", sopt(a, SOL_SOCKET, SO_REUSEADDR, 1));
    out("opt2=%s", sopt(b, SOL_SOCKET, SO_REUSEADDR, 1));
    out("bind1=%s", RV(xbind(a, host(AF_INET, port))));
    out("bind2=%s", RV(xbind(b, host(AF_INET, port))));
    out("listen1=%s", RV(listen(a, 4)));
    out("listen2=%s", RV(listen(b, 4)));
    close(a);
    close(b);
}

/* bind_reuseaddr_listening: SO_REUSEADDR does not let a socket share the
 * port of a listening socket (EADDRINUSE). */
static void c_bind_reuseaddr_listening(int port)
{
    int a = tcp_socket(AF_INET), b = tcp_socket(AF_INET);
    out("opt1=%s", sopt(a, SOL_SOCKET, SO_REUSEADDR, 1));
    out("opt2=%s", sopt(b, SOL_SOCKET, SO_REUSEADDR, 1));
    out("bind1=%s", RV(xbind(a, host(AF_INET, port))));
    out("listen1=%s", RV(listen(a, 4)));
    out("bind2=%s", RV(xbind(b, host(AF_INET, port))));
    close(a);
    close(b);
}

/* bind_reuseport: SO_REUSEPORT on both lets two sockets bind and listen on
 * the same address:port (load-balanced listeners); a third socket without
 * the option still gets EADDRINUSE. */
static void c_bind_reuseport(int port)
{
    int a = tcp_socket(AF_INET), b = tcp_socket(AF_INET), c = tcp_socket(AF_INET);
    out("opt1=%s", sopt(a, SOL_SOCKET, SO_REUSEPORT, 1));
    out("opt2=%s", sopt(b, SOL_SOCKET, SO_REUSEPORT, 1));
    out("get=%s", gopt(a, SOL_SOCKET, SO_REUSEPORT));
    out("bind1=%s", RV(xbind(a, host(AF_INET, port))));
    out("bind2=%s", RV(xbind(b, host(AF_INET, port))));
    out("listen1=%s", RV(listen(a, 4)));
    out("listen2=%s", RV(listen(b, 4)));
    out("without=%s", RV(xbind(c, host(AF_INET, port))));
    close(a);
    close(b);
    close(c);
}

/* bind_nonlocal: an address this host does not have cannot be bound
 * (EADDRNOTAVAIL), in both families (documentation prefixes). */
static void c_bind_nonlocal(int port)
{
    int a = tcp_socket(AF_INET), b = tcp_socket(AF_INET6);
    out("inet=%s", RV(xbind(a, sa4(ip4("198.51.100.1"), port))));
    out("inet6=%s", RV(xbind(b, sa6(ip6("2001:db8::1"), port))));
    close(a);
    close(b);
}

/* bind_family_mismatch: an AF_INET6 socket given a sockaddr_in is refused
 * for its short length (EINVAL); a full-size sockaddr_in6 whose family says
 * AF_INET is EAFNOSUPPORT; an AF_INET socket given a sockaddr_in6 is
 * EAFNOSUPPORT. */
static void c_bind_family_mismatch(int port)
{
    int a = tcp_socket(AF_INET6), b = tcp_socket(AF_INET6), c = tcp_socket(AF_INET);
    out("inet6_sock_sin=%s", RV(xbind(a, sa4(addr4, port))));
    sa_t w = sa6(addr6, port);
    ((struct sockaddr *)&w.ss)->sa_family = AF_INET;
    out("inet6_sock_len28_family_inet=%s", RV(xbind(b, w)));
    out("inet_sock_sin6=%s", RV(xbind(c, sa6(addr6, port))));
    out("names=%s,%s,%s", sockname(a), sockname(b), sockname(c));
    close(a);
    close(b);
    close(c);
}

/* bind_short_addrlen: an addrlen shorter than the family's sockaddr is
 * EINVAL (IPv6 accepts the 24-byte RFC 2133 size, so 23 is used). */
static void c_bind_short_addrlen(int port)
{
    int a = tcp_socket(AF_INET), b = tcp_socket(AF_INET6);
    sa_t x = host(AF_INET, port), y = host(AF_INET6, port);
    out("inet_len15=%s", RV(bind(a, (struct sockaddr *)&x.ss, sizeof(struct sockaddr_in) - 1)));
    out("inet6_len23=%s", RV(bind(b, (struct sockaddr *)&y.ss, 23)));
    close(a);
    close(b);
}

/* v6only: IPV6_V6ONLY defaults to 0; with 1, [::]:P leaves 0.0.0.0:P free
 * for an AF_INET socket; it cannot be changed once bound; with 0, [::]:P
 * also owns the IPv4 side so an AF_INET bind to that port is EADDRINUSE. */
static void c_v6only(int port)
{
    int a = tcp_socket(AF_INET6), b = tcp_socket(AF_INET);
    out("default=%s", gopt(a, IPPROTO_IPV6, IPV6_V6ONLY));
    out("set=%s", sopt(a, IPPROTO_IPV6, IPV6_V6ONLY, 1));
    out("get=%s", gopt(a, IPPROTO_IPV6, IPV6_V6ONLY));
    out("bind6=%s", RV(xbind(a, any(AF_INET6, port))));
    out("bind4=%s", RV(xbind(b, any(AF_INET, port))));
    out("set_after_bind=%s;", sopt(a, IPPROTO_IPV6, IPV6_V6ONLY, 0));
    close(a);
    close(b);
    int c = tcp_socket(AF_INET6), d = tcp_socket(AF_INET), e = tcp_socket(AF_INET);
    out("dual: set=%s", sopt(c, IPPROTO_IPV6, IPV6_V6ONLY, 0));
    out("bind6=%s", RV(xbind(c, any(AF_INET6, port + 1))));
    out("bind4_any=%s", RV(xbind(d, any(AF_INET, port + 1))));
    out("bind4_host=%s", RV(xbind(e, host(AF_INET, port + 1))));
    close(c);
    close(d);
    close(e);
}

/* listen_autobind: listen() on an unbound socket binds the wildcard and an
 * ephemeral port; SO_ACCEPTCONN turns 1. */
static void c_listen_autobind(int port)
{
    static const int fams[] = { AF_INET, AF_INET6 };
    for (int i = 0; i < 2; i++) {
        int fd = tcp_socket(fams[i]);
        out("%s: acceptconn_before=%s", famname(fams[i]), gopt(fd, SOL_SOCKET, SO_ACCEPTCONN));
        out("listen=%s", RV(listen(fd, 5)));
        out("name=%s acceptconn=%s%s", sockname(fd), gopt(fd, SOL_SOCKET, SO_ACCEPTCONN), i ? "" : ";");
        close(fd);
    }
}

/* accept_empty: a non-blocking listener with nothing pending gives EAGAIN
 * from accept and accept4; accept on a socket that is not listening is
 * EINVAL. */
static void c_accept_empty(int port)
{
    int l = tcp_socket(AF_INET), n = tcp_socket(AF_INET);
    REQ(xbind(l, host(AF_INET, port)));
    REQ(listen(l, 4));
    set_nonblock(l, 1);
    out("accept=%s", RV(accept(l, NULL, NULL)));
    out("accept4=%s", RV(accept4(l, NULL, NULL, SOCK_CLOEXEC)));
    out("poll=%s", poll_str(l, POLLIN, 0));
    out("not_listening=%s", RV(accept(n, NULL, NULL)));
    close(l);
    close(n);
}

/* accept4_flags: the listener becomes readable when a connection is
 * pending; accept4 flags land on the new fd only (not the listener); the
 * accepted peer is the client's own name and its local name the listener's;
 * and a plain accept() does NOT inherit O_NONBLOCK from the listener (Linux
 * semantics programs rely on). */
static void c_accept4_flags(int port)
{
    int l = tcp_listen(AF_INET, port, 8);
    int c = tcp_socket(AF_INET);
    out("connect=%s", RV(xconnect(c, host(AF_INET, port))));
    out("listener_poll=%s", poll_str(l, POLLIN, WAIT_MS));
    sa_t peer = { .len = sizeof peer.ss };
    int a = (int)REQ(accept4(l, (struct sockaddr *)&peer.ss, &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC));
    sa_t cname = rawname(c, 0);
    out("addrlen=%u peer=%s peer_is_client=%s", (unsigned)peer.len, fmt_sa(&peer.ss, peer.len),
        yesno(sa_eq(&peer, &cname)));
    out("local=%s", sockname(a));
    out("new: fl=%s fd=%s", flfl(a), fdfl(a));
    out("listener: fl=%s fd=%s;", flfl(l), fdfl(l));
    set_nonblock(l, 1);
    int c2 = tcp_socket(AF_INET);
    REQ(xconnect(c2, host(AF_INET, port)));
    need_ready(l, POLLIN);
    int a2 = (int)REQ(accept(l, NULL, NULL));
    out("plain_accept_from_nonblocking_listener: fl=%s fd=%s", flfl(a2), fdfl(a2));
    close(a2);
    close(c2);
    close(a);
    close(c);
    close(l);
}

/* accept_dualstack: an IPv4 client reaching an AF_INET6 listener on [::]
 * (V6ONLY=0) is seen with v4-mapped addresses on the accepted socket; the
 * client itself sees plain IPv4. */
static void c_accept_dualstack(int port)
{
    int l = tcp_socket(AF_INET6);
    REQ(xbind(l, any(AF_INET6, port)));
    REQ(listen(l, 4));
    int c = tcp_socket(AF_INET);
    out("connect=%s", RV(xconnect(c, host(AF_INET, port))));
    sa_t peer = { .len = sizeof peer.ss };
    need_ready(l, POLLIN);
    int a = (int)REQ(accept(l, (struct sockaddr *)&peer.ss, &peer.len));
    out("accept_addr=%s", fmt_sa(&peer.ss, peer.len));
    out("server: local=%s peer=%s", sockname(a), peername(a));
    out("client: local=%s peer=%s", sockname(c), peername(c));
    close(a);
    close(c);
    close(l);
}

/* connect_block (and connect_block6): a blocking connect to a listener
 * returns 0; both ends' names mirror each other; a second connect is
 * EISCONN. */
static void connect_block(int fam, int port)
{
    int l = tcp_listen(fam, port, 4);
    int c = tcp_socket(fam);
    out("connect=%s", RV(xconnect(c, host(fam, port))));
    int s = accept_wait(l);
    sa_t cl = rawname(c, 0), cp = rawname(c, 1), sl = rawname(s, 0), sp = rawname(s, 1);
    out("client: local=%s peer=%s", sockname(c), peername(c));
    out("server: local=%s peer=%s", sockname(s), peername(s));
    out("mirror=%s", yesno(sa_eq(&cl, &sp) && sa_eq(&cp, &sl)));
    out("again=%s", RV(xconnect(c, host(fam, port))));
    close(s);
    close(c);
    close(l);
}
static void c_connect_block(int port) { connect_block(AF_INET, port); }
static void c_connect_block6(int port) { connect_block(AF_INET6, port); }

/* connect_refused: a blocking connect to a port nobody listens on is
 * ECONNREFUSED, the error is not left behind in SO_ERROR, and the socket
 * may try again (same result), in both families. */
static void c_connect_refused(int port)
{
    int a = tcp_socket(AF_INET), b = tcp_socket(AF_INET6);
    out("inet=%s", RV(xconnect(a, host(AF_INET, port))));
    out("so_error=%s", so_error(a));
    out("again=%s", RV(xconnect(a, host(AF_INET, port))));
    out("inet6=%s", RV(xconnect(b, host(AF_INET6, port))));
    close(a);
    close(b);
}

/* connect_nonblock: a non-blocking connect to a listener reports
 * EINPROGRESS (or 0; printed as it happens), then POLLOUT within 2 s with
 * SO_ERROR 0.  The next connect() reports the completion as 0 (Linux:
 * the socket is still "connecting" until connect() observes the result)
 * and only the one after that is EISCONN.  epoll sees the same EPOLLOUT. */
static void c_connect_nonblock(int port)
{
    int l = tcp_listen(AF_INET, port, 8);
    int c = (int)REQ(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    out("connect=%s", RV(xconnect(c, host(AF_INET, port))));
    out("poll=%s", poll_str(c, POLLOUT, WAIT_MS));
    out("so_error=%s", so_error(c));
    out("connect2=%s", RV(xconnect(c, host(AF_INET, port))));
    out("connect3=%s;", RV(xconnect(c, host(AF_INET, port))));

    int e = (int)REQ(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    int ep = (int)REQ(epoll_create1(EPOLL_CLOEXEC));
    out("epoll: connect=%s", RV(xconnect(e, host(AF_INET, port))));
    struct epoll_event ev = { .events = EPOLLOUT, .data.fd = e };
    REQ(epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev));
    struct epoll_event got[4];
    int n = epoll_wait(ep, got, 4, WAIT_MS);
    out("wait=%s events=%s", RV(n), n == 1 ? eev(got[0].events) : "-");
    out("so_error=%s", so_error(e));
    out("peer=%s", peername(e));
    close(ep);
    close(e);
    close(c);
    close(l);
}

/* connect_refused_nonblock: a non-blocking connect to a closed port gives
 * EINPROGRESS, then poll(POLLOUT) wakes up with POLLOUT and an error/hangup
 * indication (only whether POLLOUT is set and whether POLLERR or POLLHUP is
 * set are printed), SO_ERROR holds ECONNREFUSED once and then reads 0. */
static void c_connect_refused_nonblock(int port)
{
    int c = (int)REQ(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    out("connect=%s", RV(xconnect(c, host(AF_INET, port))));
    /* The state once the failure has been reported: netcon's service makes
     * the fd writable, then hung up, a few microseconds apart, and a poll()
     * woken between the two sees only the first (README, "Known limits");
     * 10 ms later both must be there, as they are at once on the kernel. */
    int r = wait_fd(c, POLLOUT, WAIT_MS);
    if (r > 0) {
        usleep(10000);
        r = wait_fd(c, POLLOUT, 0);
    }
    out("pollout=%d errhup=%d", r > 0 && (r & POLLOUT), r > 0 && (r & (POLLERR | POLLHUP)) != 0);
    out("so_error=%s", so_error(c));
    out("so_error2=%s", so_error(c));
    close(c);
}

/* connect_again: a second non-blocking connect issued right after the
 * first.  LENIENT: on loopback the handshake may or may not have completed
 * by then, so the kernel itself answers EALREADY (still in progress) or 0
 * (completion reported) - or EISCONN on other stacks' timing - all printed
 * as "again_ok".  The deterministic EALREADY check is connect_ealready. */
static void c_connect_again(int port)
{
    int l = tcp_listen(AF_INET, port, 8);
    int c = (int)REQ(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    out("connect=%s", RV(xconnect(c, host(AF_INET, port))));
    int r = xconnect(c, host(AF_INET, port));
    int e = errno;
    out("again=%s", r == 0 || e == EALREADY || e == EISCONN ? "again_ok" : rvs(r, e));
    out("poll=%s", poll_str(c, POLLOUT, WAIT_MS));
    out("so_error=%s", so_error(c));
    close(c);
    close(l);
}

/* connect_ealready: deterministic EALREADY.  A listener with backlog 0 and
 * one connection already queued drops further SYNs, so a non-blocking
 * connect stays in progress (retransmit after 1 s): connect again right
 * away is EALREADY, nothing is ready for 200 ms, SO_ERROR is 0. */
static void c_connect_ealready(int port)
{
    int l = tcp_listen(AF_INET, port, 0);
    int c1 = tcp_socket(AF_INET);
    out("first=%s", RV(xconnect(c1, host(AF_INET, port))));
    out("queued=%s", poll_str(l, POLLIN, WAIT_MS));
    int c = (int)REQ(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    out("connect=%s", RV(xconnect(c, host(AF_INET, port))));
    out("again=%s", RV(xconnect(c, host(AF_INET, port))));
    out("poll=%s", poll_str(c, POLLOUT, QUIET_MS));
    out("so_error=%s", so_error(c));
    close(c);
    close(c1);
    close(l);
}

/* connect_unreach: with no route (only lo is up) connecting to a remote
 * address fails at once with ENETUNREACH, blocking or not, in both
 * families. */
static void c_connect_unreach(int port)
{
    int a = tcp_socket(AF_INET);
    int b = (int)REQ(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    int c = tcp_socket(AF_INET6);
    out("block=%s", RV(xconnect(a, sa4(ip4("203.0.113.1"), port))));
    out("nonblock=%s", RV(xconnect(b, sa4(ip4("203.0.113.1"), port))));
    out("inet6=%s", RV(xconnect(c, sa6(ip6("2001:db8::1"), port))));
    close(a);
    close(b);
    close(c);
}

/* data_bidir: 1 MiB each way at the same time arrives complete and in
 * order, and a shutdown(SHUT_WR) from each side after its data gives the
 * other EOF after the last byte. */
static void c_data_bidir(int port)
{
    int fd[2];
    tcp_pair(AF_INET, port, &fd[0], &fd[1]);
    struct pump p = { .n = { BULK, BULK }, .shut = { 1, 1 }, .want_eof = { 1, 1 } };
    pump(fd, &p);
    out("c2s=%s s2c=%s", pump_got(&p, 1), pump_got(&p, 0));
    out("shut=%s,%s eof=%d,%d", p.shut_rc[0], p.shut_rc[1], p.eof[0], p.eof[1]);
    pump_report(&p);
    close(fd[0]);
    close(fd[1]);
}

/* halfclose: after the client's shutdown(SHUT_WR) the server reads all the
 * data then EOF (and EOF again), the client cannot send (EPIPE) but the
 * server still can and the client reads it; then the server closes and the
 * client reads EOF. */
static void c_halfclose(int port)
{
    int fd[2];
    tcp_pair(AF_INET, port, &fd[0], &fd[1]);
    struct pump p = { .n = { 65536, 0 }, .shut = { 1, 0 }, .want_eof = { 0, 1 } };
    pump(fd, &p);
    out("server_got=%s eof=%d shut=%s", pump_got(&p, 1), p.eof[1], p.shut_rc[0]);
    pump_report(&p);
    out("server_read_again=%s", next_read(fd[1]));
    out("client_send=%s", RV(send_str(fd[0], "x")));
    out("server_send=%s", RV(send_str(fd[1], "reply")));
    out("client_read=%s", read_str(fd[0], 5));
    out("client_poll=%s", poll_str(fd[0], POLLIN, QUIET_MS));
    close(fd[1]);
    out("after_close=%s", next_read(fd[0]));
    close(fd[0]);
}

/* shutdown_errors: shutdown on an unconnected socket is ENOTCONN for every
 * valid how; an invalid how is EINVAL (checked first, even unconnected). */
static void c_shutdown_errors(int port)
{
    int u = tcp_socket(AF_INET);
    out("unconnected: rd=%s", RV(shutdown(u, SHUT_RD)));
    out("wr=%s", RV(shutdown(u, SHUT_WR)));
    out("rdwr=%s", RV(shutdown(u, SHUT_RDWR)));
    out("bad=%s;", RV(shutdown(u, 7)));
    int c, s;
    tcp_pair(AF_INET, port, &c, &s);
    out("connected: bad=%s", RV(shutdown(c, 7)));
    out("neg=%s", RV(shutdown(c, -1)));
    out("peer_poll=%s", poll_str(s, POLLIN, QUIET_MS));
    close(c);
    close(s);
    close(u);
}

/* poll_fionread: an idle connected socket is writable only; 10 bytes from
 * the peer make it readable and FIONREAD says 10; FIONREAD on a listener is
 * EINVAL. */
static void c_poll_fionread(int port)
{
    int c, s;
    tcp_pair(AF_INET, port, &c, &s);
    out("idle=%s", poll_str(s, POLLIN | POLLOUT, 0));
    out("send=%s", RV(send_str(c, "0123456789")));
    out("poll=%s", poll_str(s, POLLIN, WAIT_MS));
    int n = -1;
    int r = ioctl(s, FIONREAD, &n);
    out("fionread=%s", r < 0 ? rvs(r, errno) : rvs(n, 0));
    out("read=%s", read_str(s, 10));
    n = -1;
    r = ioctl(s, FIONREAD, &n);
    out("fionread_after=%s", r < 0 ? rvs(r, errno) : rvs(n, 0));
    int l = tcp_listen(AF_INET, port + 1, 4);
    out("listener=%s", RV(ioctl(l, FIONREAD, &n)));
    close(l);
    close(c);
    close(s);
}

/* close_dup: a connection closes only when its last descriptor does -
 * closing one of two dup'd fds sends nothing; closing the other gives the
 * peer EOF. */
static void c_close_dup(int port)
{
    int c, s;
    tcp_pair(AF_INET, port, &c, &s);
    int d = (int)REQ(dup(c));
    out("dup_name=%s", sockname(d));
    close(c);
    out("after_first_close=%s", poll_str(s, POLLIN, QUIET_MS));
    out("dup_send=%s", RV(send_str(d, "still")));
    out("peer_read=%s", read_str(s, 5));
    close(d);
    out("after_last_close=%s", next_read(s));
    close(s);
}

/* close_fork: a child inherits the connected fd; the parent closing its copy
 * does not end the connection; the child writes "hi" and exits, after which
 * the peer reads "hi" then EOF. */
static void c_close_fork(int port)
{
    int c, s, go[2];
    tcp_pair(AF_INET, port, &c, &s);
    REQ(pipe(go));
    pid_t p = (pid_t)REQ(xfork());
    if (p == 0) {
        char x;
        close(go[1]);
        if (read(go[0], &x, 1) != 1)
            _exit(3);
        _exit(send_str(c, "hi") == 2 ? 0 : 4);
    }
    close(go[0]);
    close(c);
    out("parent_closed=%s", poll_str(s, POLLIN, QUIET_MS));
    REQ(write(go[1], "g", 1));
    close(go[1]);
    out("peer_read=%s", read_str(s, 2));
    out("then=%s", next_read(s));
    out("child=%s", wait_child(p));
    close(s);
}

/* scm_rights: a connected socket passed over an AF_UNIX socket to another
 * process is the same connection there: same local and peer names, data
 * flows both ways, and when the receiver closes it (the sender having closed
 * its own copy) the peer sees EOF. */
struct names { sa_t local, peer; char read[16]; };

static void c_scm_rights(int port)
{
    int c, s, us[2];
    tcp_pair(AF_INET, port, &c, &s);
    REQ(socketpair(AF_UNIX, SOCK_STREAM, 0, us));
    pid_t p = (pid_t)REQ(xfork());
    if (p == 0) {
        close(us[0]);
        close(c);
        close(s);
        char b;
        char cbuf[CMSG_SPACE(sizeof(int))];
        struct iovec iov = { .iov_base = &b, .iov_len = 1 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
        if (recvmsg(us[1], &m, 0) != 1)
            _exit(3);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        if (!cm || cm->cmsg_type != SCM_RIGHTS)
            _exit(4);
        int fd;
        memcpy(&fd, CMSG_DATA(cm), sizeof fd);
        struct names n;
        memset(&n, 0, sizeof n);
        n.local = rawname(fd, 0);
        n.peer = rawname(fd, 1);
        if (send_str(fd, "via-child") != 9)
            _exit(5);
        size_t got = readn(fd, n.read, 8);
        n.read[got] = 0;
        close(fd);
        _exit(write(us[1], &n, sizeof n) == sizeof n ? 0 : 6);
    }
    close(us[1]);
    sa_t cl = rawname(c, 0), cp = rawname(c, 1);
    char b = 'f', cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = { .iov_base = &b, .iov_len = 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &c, sizeof c);
    out("sendmsg=%s", RV(sendmsg(us[0], &m, 0)));
    close(c);
    out("server_read=%s", read_str(s, 9));
    out("server_send=%s", RV(send_str(s, "to-child")));
    struct names n;
    memset(&n, 0, sizeof n);
    size_t got = readn(us[0], &n, sizeof n);
    if (got == sizeof n) {
        out("child: local=%s peer=%s", fmt_sa(&n.local.ss, n.local.len), fmt_sa(&n.peer.ss, n.peer.len));
        out("same_as_sender=%s child_read=\"%s\"", yesno(sa_eq(&n.local, &cl) && sa_eq(&n.peer, &cp)), n.read);
    } else {
        out("child_report=%zu", got);
    }
    out("then=%s", next_read(s));
    out("child=%s", wait_child(p));
    close(us[0]);
    close(s);
}

/* options_sock: SOL_SOCKET options read back what was set: SO_KEEPALIVE
 * 0->1, SO_REUSEADDR 0->1, SO_LINGER {0,0} -> {1,5}. */
static void c_options_sock(int port)
{
    int fd = tcp_socket(AF_INET);
    out("keepalive=%s", gopt(fd, SOL_SOCKET, SO_KEEPALIVE));
    out("set=%s", sopt(fd, SOL_SOCKET, SO_KEEPALIVE, 1));
    out("get=%s", gopt(fd, SOL_SOCKET, SO_KEEPALIVE));
    out("reuseaddr=%s", gopt(fd, SOL_SOCKET, SO_REUSEADDR));
    out("set=%s", sopt(fd, SOL_SOCKET, SO_REUSEADDR, 1));
    out("get=%s", gopt(fd, SOL_SOCKET, SO_REUSEADDR));
    struct linger lg = { -1, -1 };
    socklen_t len = sizeof lg;
    int r = getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len);
    out("linger=%s{%d,%d}", RV(r), lg.l_onoff, lg.l_linger);
    struct linger set = { 1, 5 };
    out("set=%s", RV(setsockopt(fd, SOL_SOCKET, SO_LINGER, &set, sizeof set)));
    lg.l_onoff = lg.l_linger = -1;
    len = sizeof lg;
    r = getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len);
    out("get=%s{%d,%d} len=%u", RV(r), lg.l_onoff, lg.l_linger, (unsigned)len);
    close(fd);
}

/* One int option: default, set v, read back - as three ordered tokens. */
static void opt_cycle(int fd, int level, int opt, const char *name, int v)
{
    out("%s=%s", name, gopt(fd, level, opt));
    out("set=%s", sopt(fd, level, opt, v));
    out("get=%s", gopt(fd, level, opt));
}

/* options_tcp: SOL_TCP options: TCP_NODELAY 0->1, keepalive timing
 * defaults (7200/75/9, tcp(7)) and values set read back. */
static void c_options_tcp(int port)
{
    int fd = tcp_socket(AF_INET);
    opt_cycle(fd, IPPROTO_TCP, TCP_NODELAY, "nodelay", 1);
    opt_cycle(fd, IPPROTO_TCP, TCP_KEEPIDLE, "keepidle", 30);
    opt_cycle(fd, IPPROTO_TCP, TCP_KEEPINTVL, "keepintvl", 5);
    opt_cycle(fd, IPPROTO_TCP, TCP_KEEPCNT, "keepcnt", 4);
    close(fd);
}

/* options_bufs: SO_RCVBUF/SO_SNDBUF set to 65536 read back doubled
 * (131072): the kernel doubles to account for bookkeeping overhead
 * (socket(7)); programs that size buffers from the read-back see this. */
static void c_options_bufs(int port)
{
    int fd = tcp_socket(AF_INET);
    out("rcvbuf: set=%s", sopt(fd, SOL_SOCKET, SO_RCVBUF, 65536));
    out("get=%s", gopt(fd, SOL_SOCKET, SO_RCVBUF));
    out("sndbuf: set=%s", sopt(fd, SOL_SOCKET, SO_SNDBUF, 65536));
    out("get=%s", gopt(fd, SOL_SOCKET, SO_SNDBUF));
    close(fd);
}

/* options_invalid: an int option set with a 1-byte optlen is EINVAL (both
 * levels, and SO_LINGER short of a struct linger); an unknown level or an
 * unknown option at SOL_SOCKET or SOL_TCP is ENOPROTOOPT (set and get),
 * except getsockopt at an unknown level, which the kernel's IP layer answers
 * with EOPNOTSUPP. */
static void c_options_invalid(int port)
{
    int fd = tcp_socket(AF_INET), v = 1;
    char ch = 1;
    out("short_keepalive=%s", RV(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &ch, 1)));
    out("short_nodelay=%s", RV(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &ch, 1)));
    out("short_linger=%s", RV(setsockopt(fd, SOL_SOCKET, SO_LINGER, &v, sizeof v)));
    out("bad_level=%s", RV(setsockopt(fd, 12345, 1, &v, sizeof v)));
    out("bad_sol_socket=%s", RV(setsockopt(fd, SOL_SOCKET, 9999, &v, sizeof v)));
    out("bad_sol_tcp=%s", RV(setsockopt(fd, IPPROTO_TCP, 9999, &v, sizeof v)));
    socklen_t len = sizeof v;
    out("get_bad_sol_tcp=%s", RV(getsockopt(fd, IPPROTO_TCP, 9999, &v, &len)));
    len = sizeof v;
    out("get_bad_level=%s", RV(getsockopt(fd, 12345, 1, &v, &len)));
    close(fd);
}

/* tcp_info: TCP_INFO's tcpi_state follows the connection: CLOSE (7) fresh,
 * LISTEN (10), ESTABLISHED (1), CLOSE_WAIT (8) after the peer's FIN. */
static const char *tcpi_state(int fd)
{
    struct tcp_info ti;
    memset(&ti, 0xff, sizeof ti);
    socklen_t len = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return rvs(-1, errno);
    return rvs(ti.tcpi_state, 0);
}

static void c_tcp_info(int port)
{
    int fresh = tcp_socket(AF_INET);
    out("fresh=%s", tcpi_state(fresh));
    close(fresh);
    int l = tcp_listen(AF_INET, port, 4);
    out("listen=%s", tcpi_state(l));
    int c = tcp_socket(AF_INET);
    REQ(xconnect(c, host(AF_INET, port)));
    int s = accept_wait(l);
    out("established=%s", tcpi_state(c));
    out("accepted=%s", tcpi_state(s));
    REQ(shutdown(c, SHUT_WR));
    out("peer_fin=%s", next_read(s));
    out("close_wait=%s", tcpi_state(s));
    close(s);
    close(c);
    close(l);
}

/* nonblock_toggle: O_NONBLOCK set with fcntl or FIONBIO makes a read with no
 * data EAGAIN (and shows in F_GETFL); MSG_DONTWAIT does the same on a
 * blocking socket; once back to blocking, a read waits for data a thread
 * sends 100 ms later. */
static void *late_writer(void *arg)
{
    struct timespec ts = { 0, 100 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    send_str(*(int *)arg, "late");
    return NULL;
}

static void c_nonblock_toggle(int port)
{
    int c, s;
    char buf[16];
    tcp_pair(AF_INET, port, &c, &s);
    set_nonblock(c, 1);
    out("fcntl: fl=%s", flfl(c));
    out("read=%s", RV(read(c, buf, sizeof buf)));
    set_nonblock(c, 0);
    out("cleared: fl=%s", flfl(c));
    int on = 1;
    out("fionbio=%s", RV(ioctl(c, FIONBIO, &on)));
    out("fl=%s", flfl(c));
    out("read=%s", RV(read(c, buf, sizeof buf)));
    on = 0;
    out("fionbio_off=%s", RV(ioctl(c, FIONBIO, &on)));
    out("fl=%s", flfl(c));
    out("dontwait=%s", RV(recv(c, buf, sizeof buf, MSG_DONTWAIT)));
    pthread_t t;
    int pe = pthread_create(&t, NULL, late_writer, &s);
    if (pe)
        setup_fail("pthread_create", pe);
    ssize_t r = read(c, buf, sizeof buf);
    int e = errno;
    pthread_join(t, NULL);
    out("blocking_read=%s data=\"%.*s\"", rvs(r, e), r > 0 ? (int)r : 0, buf);
    close(c);
    close(s);
}

/* reset: the server sets SO_LINGER {1,0} and closes, which sends RST.  Once
 * the client is woken (POLLIN, plus POLLERR or POLLHUP - printed as two
 * flags), the error is reported exactly once, by whichever of SO_ERROR or
 * read() asks first (ECONNRESET), later reads are EOF and send is EPIPE.
 * Not lenient: after the wakeup the kernel's answers are fixed. */
static void reset_pair(int port, int *c)
{
    int s;
    tcp_pair(AF_INET, port, c, &s);
    struct linger lg = { 1, 0 };
    REQ(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    close(s);
    int r = wait_fd(*c, POLLIN, WAIT_MS);
    out("pollin=%d errhup=%d", r > 0 && (r & POLLIN), r > 0 && (r & (POLLERR | POLLHUP)) != 0);
}

static void c_reset(int port)
{
    int c;
    char b;
    out("so_error_first:");
    reset_pair(port, &c);
    out("so_error=%s", so_error(c));
    out("so_error2=%s", so_error(c));
    out("read=%s", RV(read(c, &b, 1)));
    out("send=%s;", RV(send(c, "x", 1, MSG_NOSIGNAL)));
    close(c);
    out("read_first:");
    reset_pair(port + 1, &c);
    out("read=%s", RV(read(c, &b, 1)));
    out("so_error=%s", so_error(c));
    out("read2=%s", RV(read(c, &b, 1)));
    out("send=%s", RV(send(c, "x", 1, MSG_NOSIGNAL)));
    close(c);
}

/* syscall_raw: programs (and runtimes) that issue socket calls through
 * syscall(2) instead of the libc wrappers must see the same sockets:
 * socket/bind/listen/connect/accept4/getsockname/getpeername/setsockopt/
 * getsockopt/sendto/recvfrom/shutdown/close via syscall(). */
static void c_syscall_raw(int port)
{
    int l = (int)REQ(syscall(SYS_socket, AF_INET, SOCK_STREAM, 0));
    sa_t la = host(AF_INET, port);
    out("bind=%s", RV(syscall(SYS_bind, l, &la.ss, la.len)));
    out("listen=%s", RV(syscall(SYS_listen, l, 4)));
    out("lname=%s", sockname(l));
    int c = (int)REQ(syscall(SYS_socket, AF_INET, SOCK_STREAM, 0));
    out("connect=%s", RV(syscall(SYS_connect, c, &la.ss, la.len)));
    sa_t n = { .len = sizeof n.ss };
    out("getsockname=%s", RV(syscall(SYS_getsockname, c, &n.ss, &n.len)));
    sa_t libc_n = rawname(c, 0);
    out("%s same_as_libc=%s", fmt_sa(&n.ss, n.len), yesno(sa_eq(&n, &libc_n)));
    sa_t pn = { .len = sizeof pn.ss };
    out("getpeername=%s", RV(syscall(SYS_getpeername, c, &pn.ss, &pn.len)));
    out("%s", fmt_sa(&pn.ss, pn.len));
    need_ready(l, POLLIN);
    sa_t ap = { .len = sizeof ap.ss };
    int s = (int)REQ(syscall(SYS_accept4, l, &ap.ss, &ap.len, SOCK_CLOEXEC));
    out("accept4_peer_is_client=%s fd=%s", yesno(sa_eq(&ap, &n)), fdfl(s));
    int one = 1;
    out("setsockopt=%s", RV(syscall(SYS_setsockopt, c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one)));
    out("nodelay=%s", gopt(c, IPPROTO_TCP, TCP_NODELAY));
    int type = -1;
    socklen_t tl = sizeof type;
    out("getsockopt=%s", RV(syscall(SYS_getsockopt, c, SOL_SOCKET, SO_TYPE, &type, &tl)));
    out("type=%d", type);
    out("sendto=%s", RV(syscall(SYS_sendto, c, "raw", 3, MSG_NOSIGNAL, NULL, 0)));
    char buf[8] = { 0 };
    need_ready(s, POLLIN);
    out("recvfrom=%s", RV(syscall(SYS_recvfrom, s, buf, sizeof buf - 1, 0, NULL, NULL)));
    out("\"%s\"", buf);
    out("shutdown=%s", RV(syscall(SYS_shutdown, c, SHUT_WR)));
    out("peer=%s", next_read(s));
    out("close=%s", RV(syscall(SYS_close, c)));
    close(s);
    close(l);
}

/* epoll_et: edge-triggered EPOLLIN fires once per arrival of new data: once
 * for "a", not again while it sits unread, once more for "b"; after reading
 * everything there is no event. */
static void c_epoll_et(int port)
{
    int c, s;
    tcp_pair(AF_INET, port, &c, &s);
    int ep = (int)REQ(epoll_create1(EPOLL_CLOEXEC));
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = s }, got[4];
    REQ(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
    out("idle=%s", RV(epoll_wait(ep, got, 4, QUIET_MS)));
    REQ(send_str(c, "a"));
    int n = epoll_wait(ep, got, 4, WAIT_MS);
    out("after_a=%s:%s", RV(n), n == 1 ? eev(got[0].events) : "-");
    out("unread=%s", RV(epoll_wait(ep, got, 4, QUIET_MS)));
    REQ(send_str(c, "b"));
    n = epoll_wait(ep, got, 4, WAIT_MS);
    out("after_b=%s:%s", RV(n), n == 1 ? eev(got[0].events) : "-");
    out("read=%s", read_str(s, 2));
    out("drained=%s", RV(epoll_wait(ep, got, 4, QUIET_MS)));
    close(ep);
    close(c);
    close(s);
}

/* epoll_rdhup: level-triggered EPOLLIN|EPOLLRDHUP: nothing while idle; the
 * peer's shutdown(SHUT_WR) reports IN|RDHUP, again on every wait (level),
 * and the read is EOF. */
static void c_epoll_rdhup(int port)
{
    int c, s;
    tcp_pair(AF_INET, port, &c, &s);
    int ep = (int)REQ(epoll_create1(EPOLL_CLOEXEC));
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = s }, got[4];
    REQ(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
    out("idle=%s", RV(epoll_wait(ep, got, 4, QUIET_MS)));
    REQ(shutdown(c, SHUT_WR));
    int n = epoll_wait(ep, got, 4, WAIT_MS);
    out("after_shut=%s:%s", RV(n), n == 1 ? eev(got[0].events) : "-");
    n = epoll_wait(ep, got, 4, 0);
    out("again=%s:%s", RV(n), n == 1 ? eev(got[0].events) : "-");
    out("read=%s", next_read(s));
    close(ep);
    close(c);
    close(s);
}

/* ------------------------------------------------------------------ */
/* Case table and runner                                               */

static const struct kase cases[] = {
#define C(n) { .name = #n, .fn = c_##n }
    C(socket_flags), C(sockname_unbound),
    C(bind_addr), C(bind_port0), C(bind_twice), C(bind_inuse), C(bind_reuseaddr),
    C(bind_reuseaddr_listening), C(bind_reuseport), C(bind_nonlocal), C(bind_family_mismatch),
    C(bind_short_addrlen), C(v6only),
    C(listen_autobind), C(accept_empty), C(accept4_flags), C(accept_dualstack),
    C(connect_block), C(connect_block6), C(connect_refused), C(connect_nonblock),
    C(connect_refused_nonblock), C(connect_again), C(connect_ealready), C(connect_unreach),
    C(data_bidir), C(halfclose), C(shutdown_errors), C(poll_fionread),
    C(close_dup), C(close_fork), C(scm_rights),
    C(options_sock), C(options_tcp), C(options_bufs), C(options_invalid), C(tcp_info),
    C(nonblock_toggle), C(reset), C(syscall_raw), C(epoll_et), C(epoll_rdhup),
#undef C
};
#define NCASES (sizeof cases / sizeof cases[0])

int main(int argc, char **argv)
{
    fill_pattern();
    return conformance_main(argc, argv, cases, NCASES, NULL, NULL, NULL);
}

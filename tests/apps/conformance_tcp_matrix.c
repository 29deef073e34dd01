/*
 * conformance_tcp_matrix - TCP socket semantics as a matrix: every socket
 * STATE (fresh, bound, listening, connecting, refused, connected, half and
 * fully shut, peer shut or closed, reset, ...) times every CALL (poll/epoll,
 * recv, send with and without SIGPIPE, connect variants, bind, listen,
 * accept, shutdown, names, options, ioctls), each in IPv4 and IPv6, plus
 * standalone cases (127.0.0.0/8, TIME_WAIT and SO_REUSEADDR, option and
 * argument validation, never EBADF while held, listeners never writable,
 * listeners closed or shut with connections queued, an unanswered on-subnet
 * connect). The output of a kernel run and of a netcon run must be the same
 * line for line (tests/suites/conformance.sh diffs them).
 *
 *   conformance_tcp_matrix [-a ADDR4] [-A ADDR6] [-u ADDR4] [-k] [-l] [CASE...]
 *
 *   -a, -A, -k, -l, CASE...  as conformance.c (tests/apps/conformance.h)
 *   -u ADDR4  an address on this host's subnet that nobody answers (ARP goes
 *             unanswered): connect_unanswered* try it; without -u they print
 *             "skipped"
 *
 * Matrix cases are named STATE.CALL.4 / STATE.CALL.6 (the family of the
 * socket under test); standalone ones NAME.4 / NAME.6, or NAME alone.
 * Each case runs in its own child with a watchdog (TIMEOUT on a hang).
 * A state is built before the call and checked (its setup fails with
 * SETUP_FAILED when the state cannot be reached); the call's tokens print
 * only what the kernel defines: return values, errno names, symbolic
 * addresses, poll/epoll masks, option values, TCP_INFO state names.
 *
 * Fixed ports: 24000 + 4*index (port: the state's listener or target,
 * port+1: the socket's own bound port, port+2: "another address", port+3:
 * "another port"); below conformance_udp.c's 29000 and conformance.c's
 * 31100, below the ephemeral range.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
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
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BASE_PORT      24000
#define PORTS_PER_CASE 4
#define CASE_TIMEOUT   6
#pragma GCC diagnostic ignored "-Wunused-function"
#include "conformance.h"

#define SETTLE_MS 100   /* how long an answer to our own action (RST, ACK) may take */
#define POLL_ALL  (POLLIN | POLLPRI | POLLOUT | POLLRDHUP)

static const char *unanswered;  /* -u */

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static void set_nonblock(int fd, int on)
{
    int f = (int)REQ(fcntl(fd, F_GETFL));
    REQ(fcntl(fd, F_SETFL, on ? f | O_NONBLOCK : f & ~O_NONBLOCK));
}

static void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void timeo(int fd, int opt, int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    REQ(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv));
}

#include "conformance_tcp.h"

/* accept's result: "fd" (its number is not the kernel's to define) or -1/ERR. */
static const char *fdrv(long r, int e) { return r >= 0 ? "fd" : rvs(r, e); }
#define FD(x) ({ long fd_r_ = (long)(x); int fd_e_ = errno; fdrv(fd_r_, fd_e_); })

static const char *famtag(int fam) { return fam == AF_INET6 ? "6" : "4"; }

static const char *tcp_state_name(int st)
{
    static const char *const n[] = {
        "0", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
        "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
    };
    if (st >= 0 && st < (int)(sizeof n / sizeof n[0]))
        return n[st];
    char *s = sb();
    snprintf(s, 160, "state%d", st);
    return s;
}

/* TCP_INFO's tcpi_state, symbolic; -1000-errno on failure. */
static int tcpi(int fd)
{
    struct tcp_info ti;
    memset(&ti, 0, sizeof ti);
    socklen_t len = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return -1000 - errno;
    return ti.tcpi_state;
}

static const char *tcpi_str(int fd)
{
    int st = tcpi(fd);
    return st <= -1000 ? rvs(-1, -1000 - st) : tcp_state_name(st);
}

/* Let an asynchronous transition (an ACK of our FIN) finish: wait, bounded,
 * for TCP_INFO to show the state; silent (the calls then observe). */
static void settle_state(int fd, int want)
{
    for (int t = 0; t < QUIET_MS; t += 5) {
        int st = tcpi(fd);
        if (st == want || st <= -1000)
            return;
        msleep(5);
    }
}

/* Let our FIN be acknowledged (FIN_WAIT1, CLOSING, LAST_ACK are gone once
 * the peer's ACK, possibly delayed, arrives): wait, bounded, silent. */
static void settle_fin(int fd)
{
    for (int t = 0; t < QUIET_MS; t += 5) {
        int st = tcpi(fd);
        if (st != TCP_FIN_WAIT1 && st != TCP_CLOSING && st != TCP_LAST_ACK)
            return;
        msleep(5);
    }
}

/* Wait (bounded) for any of ev, ERR or HUP; the mask seen, or "none". */
static const char *wait_mask(int fd, short ev, int ms)
{
    return poll_str(fd, ev, ms);
}

/* Setup: wait until poll reports one of the bits in want (within 2 s). */
static void need_bits(int fd, short ev, int want)
{
    int spent = 0;
    for (;;) {
        int r = wait_fd(fd, ev, WAIT_MS - spent);
        if (r < 0)
            setup_fail("poll", errno);
        if (r & want)
            return;
        if (r == 0 || spent >= WAIT_MS)
            setup_fail("wait_bits", ETIMEDOUT);
        msleep(10);   /* level-triggered: some other bit is up; look again */
        spent += 10;
    }
}

static const char *epoll_mask(int fd)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return rvs(-1, errno);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI, .data.fd = fd }, got;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        const char *r = rvs(-1, errno);
        close(ep);
        return r;
    }
    int n = epoll_wait(ep, &got, 1, 0);
    const char *r = n < 0 ? rvs(-1, errno) : n == 0 ? "none" : eev(got.events);
    close(ep);
    return r;
}

static const char *ioctl_int(int fd, unsigned long req)
{
    int v = -1;
    if (ioctl(fd, req, &v) < 0)
        return rvs(-1, errno);
    return rvs(v, 0);
}

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static void count_sigpipe(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigpipe;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    sigpipes = 0;
}

/* A socket address of any family/length, for argument-error cases. */
static sa_t sa_raw(int family, socklen_t len)
{
    sa_t r;
    memset(&r, 0, sizeof r);
    r.ss.ss_family = (sa_family_t)family;
    r.len = len;
    return r;
}

/* ------------------------------------------------------------------ */
/* States                                                              */

enum {
    S_FRESH, S_BOUND, S_LISTENING, S_LISTEN_SHUT, S_CONNECTING, S_REFUSED, S_CONNECTED,
    S_ACCEPTED, S_WR_SHUT, S_RD_SHUT, S_BOTH_SHUT, S_PEER_WR_SHUT, S_PEER_WR_SHUT_EOF,
    S_PEER_CLOSED, S_RESET, S_RESET_UNREAD, S_ORPHANED, NSTATES
};

static const char *const state_names[NSTATES] = {
    "fresh", "bound", "listening", "listen_shut", "connecting", "refused", "connected",
    "accepted", "wr_shut", "rd_shut", "both_shut", "peer_wr_shut", "peer_wr_shut_eof",
    "peer_closed", "reset", "reset_unread", "orphaned",
};

struct st {
    int fam, port;
    int fd;         /* the socket under test */
    int peer;       /* its peer, or -1 */
    int l;          /* the listener at host:port, or -1 */
    int q;          /* a queued client filling l's accept queue, or -1 */
    sa_t target;    /* "the same address": host:port */
};

/* Client fd connected to the listener at host:port; the accepted end. */
static void pair(struct st *s, int fd_is_client)
{
    s->l = tcp_listen(s->fam, s->port, 8);
    int c = tcp_socket(s->fam);
    REQ(xconnect(c, s->target));
    int a = accept_wait(s->l);
    s->fd = fd_is_client ? c : a;
    s->peer = fd_is_client ? a : c;
}

static void build(int state, struct st *s)
{
    s->fd = s->peer = s->l = s->q = -1;
    s->target = host(s->fam, s->port);
    char b[16];
    switch (state) {
    case S_FRESH:
        s->l = tcp_listen(s->fam, s->port, 8);
        s->fd = tcp_socket(s->fam);
        break;
    case S_BOUND:
        s->l = tcp_listen(s->fam, s->port, 8);
        s->fd = tcp_socket(s->fam);
        REQ(xbind(s->fd, host(s->fam, s->port + 1)));
        break;
    case S_LISTENING:
    case S_LISTEN_SHUT:
        s->l = tcp_listen(s->fam, s->port, 8);
        s->fd = tcp_listen(s->fam, s->port + 1, 8);
        if (state == S_LISTEN_SHUT)
            REQ(shutdown(s->fd, SHUT_RDWR));
        break;
    case S_CONNECTING: {
        /* listen(l, 0) holds one completed connection; the next SYN is dropped. */
        s->l = tcp_listen(s->fam, s->port, 0);
        s->q = tcp_socket(s->fam);
        REQ(xconnect(s->q, s->target));
        need_ready(s->l, POLLIN);
        s->fd = tcp_socket(s->fam);
        set_nonblock(s->fd, 1);
        if (xconnect(s->fd, s->target) == 0 || errno != EINPROGRESS)
            setup_fail("connect_einprogress", errno);
        int r = wait_fd(s->fd, POLLOUT, SETTLE_MS);
        if (r != 0)
            setup_fail("still_connecting", r < 0 ? errno : EISCONN);
        break;
    }
    case S_REFUSED:
        s->fd = tcp_socket(s->fam);
        set_nonblock(s->fd, 1);
        if (xconnect(s->fd, s->target) == 0 || errno != EINPROGRESS) {
            if (errno != ECONNREFUSED)
                setup_fail("connect_refused", errno);
        } else {
            need_bits(s->fd, POLLOUT, POLLOUT | POLLERR | POLLHUP);
        }
        break;
    case S_CONNECTED:
    case S_ACCEPTED:
        pair(s, state == S_CONNECTED);
        break;
    case S_WR_SHUT:
    case S_BOTH_SHUT:
        pair(s, 1);
        REQ(shutdown(s->fd, state == S_WR_SHUT ? SHUT_WR : SHUT_RDWR));
        need_bits(s->peer, POLLIN | POLLRDHUP, POLLRDHUP);
        settle_state(s->fd, TCP_FIN_WAIT2);
        break;
    case S_RD_SHUT:
        pair(s, 1);
        REQ(shutdown(s->fd, SHUT_RD));
        break;
    case S_PEER_WR_SHUT:
    case S_PEER_WR_SHUT_EOF:
    case S_PEER_CLOSED:
        pair(s, 1);
        if (state == S_PEER_CLOSED) {
            close(s->peer);
            s->peer = -1;
        } else {
            REQ(shutdown(s->peer, SHUT_WR));
        }
        need_bits(s->fd, POLLIN | POLLRDHUP, POLLRDHUP);
        settle_state(s->fd, TCP_CLOSE_WAIT);
        if (state == S_PEER_WR_SHUT_EOF && REQ(recv(s->fd, b, sizeof b, MSG_DONTWAIT)) != 0)
            setup_fail("eof", EPROTO);
        break;
    case S_RESET:
    case S_RESET_UNREAD:
        pair(s, 1);
        if (state == S_RESET) {
            struct linger lg = { 1, 0 };
            REQ(setsockopt(s->peer, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
        } else {
            REQ(send(s->fd, "unread", 6, MSG_NOSIGNAL));
            need_ready(s->peer, POLLIN);
        }
        close(s->peer);
        s->peer = -1;
        need_bits(s->fd, POLLIN, POLLERR | POLLHUP);
        break;
    case S_ORPHANED:
        /* queued on a listener that is then closed without accept */
        s->l = tcp_listen(s->fam, s->port, 8);
        s->fd = tcp_socket(s->fam);
        REQ(xconnect(s->fd, s->target));
        need_ready(s->l, POLLIN);
        close(s->l);
        s->l = -1;
        need_bits(s->fd, POLLIN, POLLERR | POLLHUP);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Calls                                                               */

static void k_poll(struct st *s)
{
    out("poll0=%s", poll_str(s->fd, POLL_ALL, 0));
    out("epoll=%s", epoll_mask(s->fd));
    out("poll_wait=%s", poll_str(s->fd, POLL_ALL, QUIET_MS));
}

static void k_recv_nb(struct st *s)
{
    char b[16];
    out("recv=%s", RV(recv(s->fd, b, sizeof b, MSG_DONTWAIT)));
    out("recv2=%s", RV(recv(s->fd, b, sizeof b, MSG_DONTWAIT)));
    out("so_error=%s", so_error(s->fd));
}

static void k_recv_block(struct st *s)
{
    char b[16];
    set_nonblock(s->fd, 0);
    timeo(s->fd, SO_RCVTIMEO, 300);
    ssize_t r = recv(s->fd, b, sizeof b, 0);
    int e = errno;
    out("recv=%s", rvs(r, e));
    if (r < 0 && e == EAGAIN)
        out("read=skipped");
    else
        out("read=%s", RV(read(s->fd, b, sizeof b)));
    out("so_error=%s", so_error(s->fd));
}

static void k_send_nosig(struct st *s)
{
    out("send=%s", RV(send(s->fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT)));
    out("then=%s", wait_mask(s->fd, 0, SETTLE_MS));
    out("send2=%s", RV(send(s->fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT)));
    out("so_error=%s", so_error(s->fd));
}

static void k_send_sigpipe(struct st *s)
{
    set_nonblock(s->fd, 1);
    count_sigpipe();
    out("send=%s", RV(send(s->fd, "x", 1, 0)));
    out("sigpipe=%d", (int)sigpipes);
    out("then=%s", wait_mask(s->fd, 0, SETTLE_MS));
    out("write=%s", RV(write(s->fd, "x", 1)));
    out("sigpipe=%d", (int)sigpipes);
    signal(SIGPIPE, SIG_IGN);
}

static void k_send_sigign(struct st *s)
{
    set_nonblock(s->fd, 1);
    signal(SIGPIPE, SIG_IGN);
    out("write=%s", RV(write(s->fd, "x", 1)));
    out("then=%s", wait_mask(s->fd, 0, SETTLE_MS));
    out("write2=%s", RV(write(s->fd, "x", 1)));
    out("so_error=%s", so_error(s->fd));
}

static void k_send_block(struct st *s)
{
    set_nonblock(s->fd, 0);
    timeo(s->fd, SO_SNDTIMEO, 300);
    out("send=%s", RV(send(s->fd, "x", 1, MSG_NOSIGNAL)));
    /* An answer to the send (a peer's RST) arrives when it does: through
     * netcon after the call returned. Give it SETTLE_MS (poll for ERR/HUP). */
    wait_fd(s->fd, 0, SETTLE_MS);
    out("so_error=%s", so_error(s->fd));
}

static void k_connect_same(struct st *s)
{
    out("connect=%s", RV(xconnect(s->fd, s->target)));
    out("peer=%s", peername(s->fd));
    out("poll0=%s", poll_str(s->fd, POLL_ALL, 0));
}

static void k_connect_other(struct st *s)
{
    int l2 = tcp_listen(s->fam, s->port + 2, 8);
    out("connect=%s", RV(xconnect(s->fd, host(s->fam, s->port + 2))));
    out("peer=%s", peername(s->fd));
    close(l2);
}

static void unspec(struct st *s, socklen_t len)
{
    sa_t u = sa_raw(AF_UNSPEC, len);
    out("connect_unspec=%s", RV(xconnect(s->fd, u)));
    out("peer=%s", peername(s->fd));
    out("name=%s", sockname(s->fd));
    out("poll0=%s", poll_str(s->fd, POLL_ALL, 0));
    out("state=%s", tcpi_str(s->fd));
}

static void k_connect_unspec(struct st *s) { unspec(s, sizeof(struct sockaddr)); }
static void k_connect_unspec2(struct st *s) { unspec(s, 2); }

static void k_connect_nb(struct st *s)
{
    set_nonblock(s->fd, 1);
    out("connect=%s", RV(xconnect(s->fd, s->target)));
    out("connect2=%s", RV(xconnect(s->fd, s->target)));
    out("so_error=%s", so_error(s->fd));
}

static void k_connect_block(struct st *s)
{
    set_nonblock(s->fd, 0);
    timeo(s->fd, SO_SNDTIMEO, 200);
    out("connect=%s", RV(xconnect(s->fd, s->target)));
    out("connect2=%s", RV(xconnect(s->fd, s->target)));
    out("so_error=%s", so_error(s->fd));
}

static void k_bind(struct st *s)
{
    out("bind=%s", RV(xbind(s->fd, host(s->fam, s->port + 1))));
    out("bind_other=%s", RV(xbind(s->fd, host(s->fam, s->port + 3))));
    out("name=%s", sockname(s->fd));
}

static void k_listen(struct st *s)
{
    out("listen=%s", RV(listen(s->fd, 8)));
    out("acceptconn=%s", gopt(s->fd, SOL_SOCKET, SO_ACCEPTCONN));
    out("name=%s", sockname(s->fd));
    out("poll0=%s", poll_str(s->fd, POLL_ALL, 0));
}

static void k_accept_nb(struct st *s)
{
    set_nonblock(s->fd, 1);
    out("accept=%s", FD(accept(s->fd, NULL, NULL)));
    out("accept4=%s", FD(accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)));
}

static void k_accept_block(struct st *s)
{
    set_nonblock(s->fd, 0);
    timeo(s->fd, SO_RCVTIMEO, 300);
    out("accept=%s", FD(accept(s->fd, NULL, NULL)));
}

static void shut(struct st *s, int how)
{
    out("shutdown=%s", RV(shutdown(s->fd, how)));
    out("again=%s", RV(shutdown(s->fd, how)));
    settle_fin(s->fd);
    out("poll0=%s", poll_str(s->fd, POLL_ALL, 0));
    out("state=%s", tcpi_str(s->fd));
}

static void k_shut_rd(struct st *s) { shut(s, SHUT_RD); }
static void k_shut_wr(struct st *s) { shut(s, SHUT_WR); }
static void k_shut_rdwr(struct st *s) { shut(s, SHUT_RDWR); }

static void k_names(struct st *s)
{
    out("name=%s", sockname(s->fd));
    out("peer=%s", peername(s->fd));
}

static void k_sockopts(struct st *s)
{
    out("so_error=%s", so_error(s->fd));
    out("so_error2=%s", so_error(s->fd));
    int t = geti(s->fd, SOL_SOCKET, SO_TYPE);
    out("type=%s", t == SOCK_STREAM ? "STREAM" : t <= -1000 ? rvs(-1, -1000 - t) : rvs(t, 0));
    out("acceptconn=%s", gopt(s->fd, SOL_SOCKET, SO_ACCEPTCONN));
    out("state=%s", tcpi_str(s->fd));
}

static void k_ioctls(struct st *s)
{
    out("fionread=%s", ioctl_int(s->fd, FIONREAD));
    out("outq=%s", ioctl_int(s->fd, SIOCOUTQ));
    out("atmark=%s", ioctl_int(s->fd, SIOCATMARK));
}

static const struct { const char *name; void (*fn)(struct st *); } calls[] = {
#define K(n) { #n, k_##n }
    K(poll), K(recv_nb), K(recv_block), K(send_nosig), K(send_sigpipe), K(send_sigign),
    K(send_block), K(connect_same), K(connect_other), K(connect_unspec), K(connect_unspec2),
    K(connect_nb), K(connect_block), K(bind), K(listen), K(accept_nb), K(accept_block),
    K(shut_rd), K(shut_wr), K(shut_rdwr), K(names), K(sockopts), K(ioctls),
#undef K
};
#define NCALLS (sizeof calls / sizeof calls[0])

/* ------------------------------------------------------------------ */
/* Standalone cases: fn(fam, port); fam 0 for family-less ones         */

static int is_loopback_run(void) { return addr4.s_addr == htonl(INADDR_LOOPBACK); }

/* 127.0.0.0/8 is all this host's. */
static void t_lo8_bind(int fam, int port)
{
    if (!is_loopback_run()) { out("skipped"); return; }
    int a = tcp_socket(AF_INET), b = tcp_socket(AF_INET);
    out("bind_127.0.0.2=%s", RV(xbind(a, sa4(ip4("127.0.0.2"), port))));
    out("listen=%s", RV(listen(a, 4)));
    out("name=%s", sockname(a));
    out("bind_127.1.2.3=%s", RV(xbind(b, sa4(ip4("127.1.2.3"), port + 1))));
    out("listen=%s", RV(listen(b, 4)));
    out("name=%s", sockname(b));
    close(a);
    close(b);
}

static void lo8_connect(int port, const char *dst, const char *src)
{
    int l = tcp_socket(AF_INET);
    REQ(xbind(l, sa4(ip4(dst), port)));
    REQ(listen(l, 4));
    int c = tcp_socket(AF_INET);
    if (src)
        out("bind_%s=%s", src, RV(xbind(c, sa4(ip4(src), 0))));
    out("connect_%s=%s", dst, RV(xconnect(c, sa4(ip4(dst), port))));
    int s = accept_wait(l);
    out("c_name=%s", sockname(c));
    out("c_peer=%s", peername(c));
    out("s_name=%s", sockname(s));
    out("s_peer=%s", peername(s));
    char b[8] = { 0 };
    out("send=%s", RV(send(c, "ping", 4, MSG_NOSIGNAL)));
    need_ready(s, POLLIN);
    out("recv=%s", RV(recv(s, b, sizeof b - 1, 0)));
    out("\"%s\"", b);
    memset(b, 0, sizeof b);
    out("send=%s", RV(send(s, "pong", 4, MSG_NOSIGNAL)));
    need_ready(c, POLLIN);
    out("recv=%s", RV(recv(c, b, sizeof b - 1, 0)));
    out("\"%s\"", b);
    close(s);
    close(c);
    close(l);
}

static void t_lo8_connect(int fam, int port)
{
    if (!is_loopback_run()) { out("skipped"); return; }
    lo8_connect(port, "127.0.0.2", NULL);
    out(";");
    lo8_connect(port + 1, "127.1.2.3", NULL);
}

static void t_lo8_connect_bound(int fam, int port)
{
    if (!is_loopback_run()) { out("skipped"); return; }
    lo8_connect(port, "127.0.0.2", "127.0.0.5");
    out(";");
    lo8_connect(port + 1, "127.1.2.3", "127.0.0.5");
}

static void t_lo8_refused(int fam, int port)
{
    if (!is_loopback_run()) { out("skipped"); return; }
    int c = tcp_socket(AF_INET);
    out("connect_127.0.0.9=%s", RV(xconnect(c, sa4(ip4("127.0.0.9"), port))));
    out("so_error=%s", so_error(c));
    close(c);
    c = (int)REQ(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    out("nonblock=%s", RV(xconnect(c, sa4(ip4("127.0.0.9"), port))));
    out("poll=%s", poll_str(c, POLLOUT, WAIT_MS));
    out("so_error=%s", so_error(c));
    close(c);
}

/* TIME_WAIT on the server side (the server closed first), listener then
 * closed; the same port bound again with SO_REUSEADDR on neither, only the
 * new, or both sockets. */
static void t_tw_server(int fam, int port)
{
    static const char *const v[] = { "none", "new", "both" };
    for (int i = 0; i < 3; i++) {
        int p = port + i, one = 1;
        int l = tcp_socket(fam);
        if (i == 2)
            REQ(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
        REQ(xbind(l, host(fam, p)));
        REQ(listen(l, 4));
        int c = tcp_socket(fam);
        REQ(xconnect(c, host(fam, p)));
        int s = accept_wait(l);
        close(s);
        need_bits(c, POLLIN | POLLRDHUP, POLLRDHUP);
        close(c);
        msleep(SETTLE_MS);
        close(l);
        int n = tcp_socket(fam);
        if (i)
            REQ(setsockopt(n, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
        out("%s: bind=%s", v[i], RV(xbind(n, host(fam, p))));
        out("listen=%s", RV(listen(n, 4)));
        out("name=%s%s", sockname(n), i < 2 ? ";" : "");
        close(n);
    }
}

/* TIME_WAIT on the client side (the client closed first): its ephemeral
 * port bound again without and with SO_REUSEADDR; the client had
 * SO_REUSEADDR set or not. */
static void t_tw_client(int fam, int port)
{
    for (int i = 0; i < 2; i++) {
        int one = 1;
        int l = tcp_listen(fam, port + i, 4);
        int c = tcp_socket(fam);
        if (i)
            REQ(setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
        REQ(xconnect(c, host(fam, port + i)));
        sa_t cn = rawname(c, 0);
        int s = accept_wait(l);
        close(c);
        need_bits(s, POLLIN | POLLRDHUP, POLLRDHUP);
        close(s);
        msleep(SETTLE_MS);
        int n = tcp_socket(fam);
        out("%s: bind=%s", i ? "client_reuse" : "client_plain", RV(xbind(n, cn)));
        close(n);
        n = tcp_socket(fam);
        REQ(setsockopt(n, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
        out("reuse_bind=%s", RV(xbind(n, cn)));
        out("listen=%s%s", RV(listen(n, 4)), i ? "" : ";");
        close(n);
        close(l);
    }
}

/* --- options ------------------------------------------------------ */

static void setget(int fd, int level, int opt, const char *label, int v)
{
    out("%s=%s", label, sopt(fd, level, opt, v));
    out("->%s", gopt(fd, level, opt));
}

static void t_opt_bufs(int fam, int port, int opt)
{
    int fd = tcp_socket(fam);
    static const int vals[] = { 4096, 65536, 0, -1 };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        int before = geti(fd, SOL_SOCKET, opt);
        out("set%d=%s", vals[i], sopt(fd, SOL_SOCKET, opt, vals[i]));
        int after = geti(fd, SOL_SOCKET, opt);
        if (vals[i] > 0)
            out("ge_set=%s", yesno(after >= vals[i]));
        out("changed=%s", yesno(after != before));
    }
    out("short=%s", RV(setsockopt(fd, SOL_SOCKET, opt, "\1", 1)));
    close(fd);
}

static void t_opt_rcvbuf(int fam, int port) { t_opt_bufs(fam, port, SO_RCVBUF); }
static void t_opt_sndbuf(int fam, int port) { t_opt_bufs(fam, port, SO_SNDBUF); }

static void t_opt_keepalive(int fam, int port)
{
    int fd = tcp_socket(fam);
    out("default=%s", gopt(fd, SOL_SOCKET, SO_KEEPALIVE));
    setget(fd, SOL_SOCKET, SO_KEEPALIVE, "set1", 1);
    setget(fd, SOL_SOCKET, SO_KEEPALIVE, "set7", 7);
    setget(fd, SOL_SOCKET, SO_KEEPALIVE, "set0", 0);
    setget(fd, SOL_SOCKET, SO_KEEPALIVE, "set-1", -1);
    close(fd);
}

static const char *linger_str(int fd)
{
    struct linger lg = { -1, -1 };
    socklen_t len = sizeof lg;
    if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len) < 0)
        return rvs(-1, errno);
    char *s = sb();
    snprintf(s, 160, "{%d,%d}/%u", lg.l_onoff, lg.l_linger, (unsigned)len);
    return s;
}

static void t_opt_linger(int fam, int port)
{
    int fd = tcp_socket(fam);
    out("default=%s", linger_str(fd));
    struct linger lg = { 1, 5 };
    out("set{1,5}=%s", RV(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg)));
    out("->%s", linger_str(fd));
    lg = (struct linger){ 0, 9 };
    out("short=%s", RV(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg - 1)));
    out("->%s", linger_str(fd));
    out("int=%s", RV(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(int))));
    out("->%s", linger_str(fd));
    lg = (struct linger){ 2, 3 };
    out("set{2,3}=%s", RV(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg)));
    out("->%s", linger_str(fd));
    lg = (struct linger){ -1, 4 };
    out("set{-1,4}=%s", RV(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg)));
    out("->%s", linger_str(fd));
    lg = (struct linger){ 0, 0 };
    out("set{0,0}=%s", RV(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg)));
    out("->%s", linger_str(fd));
    struct linger big[2];
    socklen_t len = sizeof big;
    out("get_long=%s", RV(getsockopt(fd, SOL_SOCKET, SO_LINGER, big, &len)));
    out("len=%u", (unsigned)len);
    len = 4;
    out("get_short=%s", RV(getsockopt(fd, SOL_SOCKET, SO_LINGER, big, &len)));
    out("len=%u", (unsigned)len);
    close(fd);
}

static void t_opt_reuseaddr(int fam, int port)
{
    int fd = tcp_socket(fam);
    out("default=%s", gopt(fd, SOL_SOCKET, SO_REUSEADDR));
    setget(fd, SOL_SOCKET, SO_REUSEADDR, "set1", 1);
    setget(fd, SOL_SOCKET, SO_REUSEADDR, "set5", 5);
    setget(fd, SOL_SOCKET, SO_REUSEADDR, "set0", 0);
    out("short=%s", RV(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, "\1", 1)));
    out("->%s", gopt(fd, SOL_SOCKET, SO_REUSEADDR));
    close(fd);
}

static const char *tv_str(int fd, int opt)
{
    struct timeval tv = { -1, -1 };
    socklen_t len = sizeof tv;
    if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) < 0)
        return rvs(-1, errno);
    char *s = sb();
    snprintf(s, 160, "%ld.%06ld/%u", (long)tv.tv_sec, (long)tv.tv_usec, (unsigned)len);
    return s;
}

static void t_opt_timeo(int fam, int port)
{
    static const int opts[2] = { SO_RCVTIMEO, SO_SNDTIMEO };
    for (int i = 0; i < 2; i++) {
        int fd = tcp_socket(fam), o = opts[i];
        out("%s: default=%s", i ? "snd" : "rcv", tv_str(fd, o));
        struct timeval tv = { 1, 500000 };
        out("set1.5=%s", RV(setsockopt(fd, SOL_SOCKET, o, &tv, sizeof tv)));
        out("->%s", tv_str(fd, o));
        tv = (struct timeval){ 0, 1000000 };
        out("usec1e6=%s", RV(setsockopt(fd, SOL_SOCKET, o, &tv, sizeof tv)));
        out("->%s", tv_str(fd, o));
        tv = (struct timeval){ 0, -1 };
        out("usec-1=%s", RV(setsockopt(fd, SOL_SOCKET, o, &tv, sizeof tv)));
        out("->%s", tv_str(fd, o));
        tv = (struct timeval){ 2, 0 };
        out("short=%s", RV(setsockopt(fd, SOL_SOCKET, o, &tv, sizeof tv - 1)));
        out("->%s", tv_str(fd, o));
        tv = (struct timeval){ -5, 0 };
        out("neg=%s", RV(setsockopt(fd, SOL_SOCKET, o, &tv, sizeof tv)));
        out("->%s", tv_str(fd, o));
        tv = (struct timeval){ 0, 0 };
        out("zero=%s", RV(setsockopt(fd, SOL_SOCKET, o, &tv, sizeof tv)));
        out("->%s%s", tv_str(fd, o), i ? "" : ";");
        close(fd);
    }
}

static void t_opt_nodelay(int fam, int port)
{
    int fd = tcp_socket(fam);
    out("default=%s", gopt(fd, IPPROTO_TCP, TCP_NODELAY));
    setget(fd, IPPROTO_TCP, TCP_NODELAY, "set1", 1);
    setget(fd, IPPROTO_TCP, TCP_NODELAY, "set9", 9);
    setget(fd, IPPROTO_TCP, TCP_NODELAY, "set0", 0);
    out("short=%s", RV(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, "\1", 1)));
    out("->%s", gopt(fd, IPPROTO_TCP, TCP_NODELAY));
    close(fd);
}

static void t_opt_maxseg(int fam, int port)
{
    int fd = tcp_socket(fam);
    out("default=%s", gopt(fd, IPPROTO_TCP, TCP_MAXSEG));
    setget(fd, IPPROTO_TCP, TCP_MAXSEG, "set1000", 1000);
    setget(fd, IPPROTO_TCP, TCP_MAXSEG, "set0", 0);
    setget(fd, IPPROTO_TCP, TCP_MAXSEG, "set1", 1);
    setget(fd, IPPROTO_TCP, TCP_MAXSEG, "set88", 88);
    setget(fd, IPPROTO_TCP, TCP_MAXSEG, "set65536", 65536);
    setget(fd, IPPROTO_TCP, TCP_MAXSEG, "set-1", -1);
    close(fd);
}

static void keepopt(int fam, int opt)
{
    int fd = tcp_socket(fam);
    out("default=%s", gopt(fd, IPPROTO_TCP, opt));
    setget(fd, IPPROTO_TCP, opt, "set10", 10);
    setget(fd, IPPROTO_TCP, opt, "set0", 0);
    setget(fd, IPPROTO_TCP, opt, "set-1", -1);
    setget(fd, IPPROTO_TCP, opt, "set127", 127);
    setget(fd, IPPROTO_TCP, opt, "set128", 128);
    setget(fd, IPPROTO_TCP, opt, "set32767", 32767);
    setget(fd, IPPROTO_TCP, opt, "set32768", 32768);
    setget(fd, IPPROTO_TCP, opt, "set100000", 100000);
    out("short=%s", RV(setsockopt(fd, IPPROTO_TCP, opt, "\1", 1)));
    out("->%s", gopt(fd, IPPROTO_TCP, opt));
    close(fd);
}

static void t_opt_keepidle(int fam, int port) { keepopt(fam, TCP_KEEPIDLE); }
static void t_opt_keepintvl(int fam, int port) { keepopt(fam, TCP_KEEPINTVL); }
static void t_opt_keepcnt(int fam, int port) { keepopt(fam, TCP_KEEPCNT); }

static void t_opt_user_timeout(int fam, int port)
{
    int fd = tcp_socket(fam);
    out("default=%s", gopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT));
    setget(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, "set5000", 5000);
    setget(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, "set-1", -1);
    setget(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, "set0", 0);
    close(fd);
}

static void t_opt_cork(int fam, int port)
{
    int fd = tcp_socket(fam);
    out("default=%s", gopt(fd, IPPROTO_TCP, TCP_CORK));
    setget(fd, IPPROTO_TCP, TCP_CORK, "set1", 1);
    setget(fd, IPPROTO_TCP, TCP_CORK, "set3", 3);
    setget(fd, IPPROTO_TCP, TCP_CORK, "set0", 0);
    close(fd);
}

static void t_opt_quickack(int fam, int port)
{
    int fd = tcp_socket(fam);
    out("default=%s", gopt(fd, IPPROTO_TCP, TCP_QUICKACK));
    setget(fd, IPPROTO_TCP, TCP_QUICKACK, "set0", 0);
    setget(fd, IPPROTO_TCP, TCP_QUICKACK, "set1", 1);
    close(fd);
}

static void t_opt_defer_accept(int fam, int port)
{
    int fd = tcp_socket(fam);
    out("default=%s", gopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT));
    setget(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, "set1", 1);
    setget(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, "set5", 5);
    setget(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, "set-1", -1);
    setget(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, "set0", 0);
    close(fd);
}

static const char *cong_str(int fd)
{
    char b[32] = { 0 };
    socklen_t len = sizeof b;
    if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, b, &len) < 0)
        return rvs(-1, errno);
    char *s = sb();
    snprintf(s, 160, "%s", b);
    return s;
}

static void t_opt_congestion(int fam, int port)
{
    int fd = tcp_socket(fam);
    out("reno=%s", RV(setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4)));
    out("->%s", cong_str(fd));
    out("cubic=%s", RV(setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5)));
    out("->%s", cong_str(fd));
    out("nonexistent=%s", RV(setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "nonexistent", 11)));
    out("->%s", cong_str(fd));
    out("empty=%s", RV(setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "", 0)));
    out("->%s", cong_str(fd));
    close(fd);
}

static void t_opt_tos(int fam, int port)
{
    int fd = tcp_socket(fam);
    out("default=%s", gopt(fd, IPPROTO_IP, IP_TOS));
    setget(fd, IPPROTO_IP, IP_TOS, "set0x10", 0x10);
    setget(fd, IPPROTO_IP, IP_TOS, "set0x03", 0x03);
    setget(fd, IPPROTO_IP, IP_TOS, "set0xb8", 0xb8);
    setget(fd, IPPROTO_IP, IP_TOS, "set256", 256);
    setget(fd, IPPROTO_IP, IP_TOS, "set-1", -1);
    if (fam == AF_INET6) {
        out("tclass_default=%s", gopt(fd, IPPROTO_IPV6, IPV6_TCLASS));
        setget(fd, IPPROTO_IPV6, IPV6_TCLASS, "tclass0x20", 0x20);
        setget(fd, IPPROTO_IPV6, IPV6_TCLASS, "tclass256", 256);
        setget(fd, IPPROTO_IPV6, IPV6_TCLASS, "tclass-1", -1);
    }
    close(fd);
}

static void t_opt_ttl(int fam, int port)
{
    int fd = tcp_socket(AF_INET);
    out("default=%s", gopt(fd, IPPROTO_IP, IP_TTL));
    setget(fd, IPPROTO_IP, IP_TTL, "set5", 5);
    setget(fd, IPPROTO_IP, IP_TTL, "set0", 0);
    setget(fd, IPPROTO_IP, IP_TTL, "set256", 256);
    setget(fd, IPPROTO_IP, IP_TTL, "set255", 255);
    setget(fd, IPPROTO_IP, IP_TTL, "set-1", -1);
    setget(fd, IPPROTO_IP, IP_TTL, "set-2", -2);
    close(fd);
}

static void t_opt_v6only(int fam, int port)
{
    int fd = tcp_socket(AF_INET6);
    out("default=%s", gopt(fd, IPPROTO_IPV6, IPV6_V6ONLY));
    setget(fd, IPPROTO_IPV6, IPV6_V6ONLY, "set1", 1);
    setget(fd, IPPROTO_IPV6, IPV6_V6ONLY, "set0", 0);
    out("bind=%s", RV(xbind(fd, any(AF_INET6, port))));
    setget(fd, IPPROTO_IPV6, IPV6_V6ONLY, "after_bind1", 1);
    out("listen=%s", RV(listen(fd, 4)));
    setget(fd, IPPROTO_IPV6, IPV6_V6ONLY, "after_listen1", 1);
    int v4 = tcp_socket(AF_INET);
    out("on_inet=%s", sopt(v4, IPPROTO_IPV6, IPV6_V6ONLY, 1));
    close(v4);
    close(fd);
}

static void t_opt_hops(int fam, int port)
{
    int fd = tcp_socket(AF_INET6);
    out("default=%s", gopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS));
    setget(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "set5", 5);
    setget(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "set0", 0);
    setget(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "set255", 255);
    setget(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "set256", 256);
    setget(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "set-1", -1);
    setget(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "set-2", -2);
    close(fd);
}

/* optlen 0 / 1 / short for set, and getsockopt's length handling. */
static void t_opt_optlen(int fam, int port)
{
    int fd = tcp_socket(fam), v[2] = { 1, 0 };   /* 8 bytes: the len8 cases read them all */
    out("sock_len0=%s", RV(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, v, 0)));
    out("sock_len1=%s", RV(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, v, 1)));
    out("sock_len3=%s", RV(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, v, 3)));
    out("sock_len8=%s", RV(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, v, 8)));
    out("->%s", gopt(fd, SOL_SOCKET, SO_KEEPALIVE));
    out("tcp_len0=%s", RV(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, v, 0)));
    out("tcp_len1=%s", RV(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, v, 1)));
    out("tcp_len8=%s", RV(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, v, 8)));
    out("->%s", gopt(fd, IPPROTO_TCP, TCP_NODELAY));
    out("null=%s", RV(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, NULL, sizeof v[0])));
    unsigned char b[8];
    socklen_t len;
    static const struct { int level, opt; const char *n; } g[] = {
        { SOL_SOCKET, SO_KEEPALIVE, "keepalive" }, { SOL_SOCKET, SO_TYPE, "type" },
        { IPPROTO_TCP, TCP_NODELAY, "nodelay" }, { IPPROTO_TCP, TCP_MAXSEG, "maxseg" },
    };
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        static const socklen_t lens[] = { 0, 1, 8 };
        for (size_t j = 0; j < 3; j++) {
            memset(b, 0xee, sizeof b);
            len = lens[j];
            out("get_%s_len%u=%s", g[i].n, (unsigned)lens[j], RV(getsockopt(fd, g[i].level, g[i].opt, b, &len)));
            out("len=%u b0=0x%02x", (unsigned)len, b[0]);
        }
    }
    int neg = -1;
    memcpy(&len, &neg, sizeof len);
    out("get_neglen=%s", RV(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, b, &len)));
    close(fd);
}

static void t_opt_unknown(int fam, int port)
{
    int fd = tcp_socket(fam), v = 1;
    out("sol_socket_9999=%s", sopt(fd, SOL_SOCKET, 9999, 1));
    out("get=%s", gopt(fd, SOL_SOCKET, 9999));
    out("tcp_9999=%s", sopt(fd, IPPROTO_TCP, 9999, 1));
    out("get=%s", gopt(fd, IPPROTO_TCP, 9999));
    out("ip_9999=%s", sopt(fd, IPPROTO_IP, 9999, 1));
    out("get=%s", gopt(fd, IPPROTO_IP, 9999));
    out("ipv6_9999=%s", sopt(fd, IPPROTO_IPV6, 9999, 1));
    out("get=%s", gopt(fd, IPPROTO_IPV6, 9999));
    out("level_12345=%s", RV(setsockopt(fd, 12345, 1, &v, sizeof v)));
    out("get=%s", gopt(fd, 12345, 1));
    close(fd);
}

/* An option at the wrong level: UDP's, IPv6's on IPv4 and IPv4's on IPv6. */
static void t_opt_level(int fam, int port)
{
    int fd = tcp_socket(fam);
    out("udp_cork=%s", sopt(fd, IPPROTO_UDP, 1 /* UDP_CORK */, 1));
    out("get=%s", gopt(fd, IPPROTO_UDP, 1));
    if (fam == AF_INET) {
        out("ipv6_unicast_hops=%s", sopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 5));
        out("get=%s", gopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS));
    } else {
        out("ip_ttl=%s", sopt(fd, IPPROTO_IP, IP_TTL, 5));
        out("get=%s", gopt(fd, IPPROTO_IP, IP_TTL));
    }
    out("tcp_level_keepalive=%s", sopt(fd, IPPROTO_TCP, SO_KEEPALIVE, 1));
    out("sol_socket_nodelay=%s", sopt(fd, SOL_SOCKET, TCP_NODELAY, 1));
    close(fd);
}

/* --- bind/connect argument errors --------------------------------- */

static const char *try_bind(int fam, sa_t a)
{
    int fd = tcp_socket(fam);
    const char *r = RV(xbind(fd, a));
    close(fd);
    return r;
}

static const char *try_connect(int fam, sa_t a)
{
    int fd = tcp_socket(fam);
    timeo(fd, SO_SNDTIMEO, 500);
    const char *r = RV(xconnect(fd, a));
    close(fd);
    return r;
}

typedef const char *(*tryfn)(int fam, sa_t a);

static void addr_args(int fam, int port, tryfn f, const char *(*nullfn)(int fd, socklen_t len))
{
    int fd = tcp_socket(fam);
    out("null0=%s", nullfn(fd, 0));
    close(fd);
    fd = tcp_socket(fam);
    out("null16=%s", nullfn(fd, 16));
    close(fd);
    sa_t h = host(fam, port);
    static const socklen_t lens[] = { 0, 1, 2, 15, 23, 27 };
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        sa_t a = h;
        a.len = lens[i];
        out("len%u=%s", (unsigned)lens[i], f(fam, a));
    }
    sa_t big = h;
    big.len = sizeof big.ss;
    out("len128=%s", f(fam, big));
    sa_t u = h;
    u.ss.ss_family = AF_UNSPEC;
    out("unspec_host=%s", f(fam, u));
    u = any(fam, port);
    u.ss.ss_family = AF_UNSPEC;
    out("unspec_any=%s", f(fam, u));
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, "/nonexistent");
    sa_t un;
    memset(&un, 0, sizeof un);
    memcpy(&un.ss, &sun, sizeof sun);
    un.len = sizeof sun;
    out("unix=%s", f(fam, un));
    sa_t other = fam == AF_INET ? sa6(addr6, port) : sa4(addr4, port);
    out("other_family=%s", f(fam, other));
    if (fam == AF_INET) {
        sa_t v6short = sa6(addr6, port);
        v6short.len = sizeof(struct sockaddr_in);
        out("inet6_len16=%s", f(fam, v6short));
    } else {
        sa_t v4long = sa4(addr4, port);
        v4long.len = sizeof(struct sockaddr_in6);
        out("inet_len28=%s", f(fam, v4long));
    }
}

static const char *null_bind(int fd, socklen_t len) { return RV(bind(fd, NULL, len)); }
static const char *null_connect(int fd, socklen_t len) { return RV(connect(fd, NULL, len)); }

static void t_bind_args(int fam, int port)
{
    addr_args(fam, port, try_bind, null_bind);
    if (fam == AF_INET6) {
        int fd = tcp_socket(AF_INET6), one = 1;
        REQ(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
        struct in6_addr m = in6addr_any;
        m.s6_addr[10] = m.s6_addr[11] = 0xff;
        memcpy(&m.s6_addr[12], &addr4, 4);
        out("mapped_v6only=%s", RV(xbind(fd, sa6(m, port))));
        close(fd);
        fd = tcp_socket(AF_INET6);
        out("mapped=%s", RV(xbind(fd, sa6(m, port))));
        out("name=%s", sockname(fd));
        close(fd);
    } else {
        out("bcast=%s", try_bind(fam, sa4(ip4("255.255.255.255"), port)));
        out("mcast=%s", try_bind(fam, sa4(ip4("224.0.0.1"), port)));
    }
}

static void t_connect_args(int fam, int port)
{
    int l = tcp_listen(fam, port, 8);
    addr_args(fam, port, try_connect, null_connect);
    close(l);
}

static void t_connect_special(int fam, int port)
{
    int l = tcp_listen(fam, port, 8);
    out("port0=%s", try_connect(fam, host(fam, 0)));
    out("any=%s", try_connect(fam, any(fam, port)));
    if (fam == AF_INET) {
        out("mcast=%s", try_connect(fam, sa4(ip4("224.0.0.1"), port)));
        out("bcast=%s", try_connect(fam, sa4(ip4("255.255.255.255"), port)));
    } else {
        out("mcast=%s", try_connect(fam, sa6(ip6("ff02::1"), port)));
        int fd = tcp_socket(AF_INET6), one = 1;
        REQ(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
        struct in6_addr m = in6addr_any;
        m.s6_addr[10] = m.s6_addr[11] = 0xff;
        memcpy(&m.s6_addr[12], &addr4, 4);
        out("mapped_v6only=%s", RV(xconnect(fd, sa6(m, port))));
        close(fd);
    }
    close(l);
}

/* --- never EBADF while held --------------------------------------- */

static const char *fstat_type(int fd)
{
    struct stat stt;
    if (fstat(fd, &stt) < 0)
        return rvs(-1, errno);
    return S_ISSOCK(stt.st_mode) ? "sock" : "other";
}

static void held(int fd)
{
    out("getsockopt=%s", gopt(fd, SOL_SOCKET, SO_TYPE));
    out("name=%s", sockname(fd));
    out("peer=%s", peername(fd));
    out("shutdown=%s", RV(shutdown(fd, SHUT_RDWR)));
    out("fcntl=%s", flfl(fd));
    out("fstat=%s", fstat_type(fd));
}

static void t_held_shut_rdwr(int fam, int port)
{
    struct st s = { .fam = fam, .port = port };
    build(S_CONNECTED, &s);
    REQ(shutdown(s.fd, SHUT_RDWR));
    held(s.fd);
}

static void t_held_reset(int fam, int port)
{
    struct st s = { .fam = fam, .port = port };
    build(S_RESET, &s);
    held(s.fd);
    char b;
    out("recv=%s", RV(recv(s.fd, &b, 1, MSG_DONTWAIT)));
    held(s.fd);
}

static void t_held_shut_twice(int fam, int port)
{
    struct st s = { .fam = fam, .port = port };
    build(S_CONNECTED, &s);
    REQ(shutdown(s.fd, SHUT_WR));
    out("again=%s", RV(shutdown(s.fd, SHUT_WR)));
    held(s.fd);
    out("fresh:");
    int f = tcp_socket(fam);
    held(f);
    close(f);
}

/* --- listeners ----------------------------------------------------- */

static void t_listen_not_writable(int fam, int port)
{
    int l = tcp_listen(fam, port, 8);
    out("listen=%s", poll_str(l, POLLOUT, 0));
    out("listen_all=%s", poll_str(l, POLL_ALL, 0));
    int c = tcp_socket(fam);
    REQ(xconnect(c, host(fam, port)));
    need_ready(l, POLLIN);
    out("queued=%s", poll_str(l, POLLOUT, 0));
    out("queued_all=%s", poll_str(l, POLL_ALL, 0));
    out("epoll=%s", epoll_mask(l));
    int s = (int)REQ(accept(l, NULL, NULL));
    out("accepted=%s", poll_str(l, POLLOUT, 0));
    out("accepted_all=%s", poll_str(l, POLL_ALL, QUIET_MS));
    close(s);
    close(c);
    close(l);
}

static void queued_client(int c)
{
    char b;
    /* The reset reaches the client when it does: through netcon, after the
     * listener's close, which is no call into the service. Wait (bounded)
     * for it to arrive before reading the state it leaves. */
    wait_fd(c, POLLIN | POLLRDHUP, WAIT_MS);
    out("c_poll=%s", poll_str(c, POLL_ALL, 0));
    out("c_state=%s", tcpi_str(c));
    out("c_recv=%s", RV(recv(c, &b, 1, MSG_DONTWAIT)));
    out("c_so_error=%s", so_error(c));
    out("c_recv2=%s", RV(recv(c, &b, 1, MSG_DONTWAIT)));
    out("c_send=%s", RV(send(c, "x", 1, MSG_NOSIGNAL)));
}

static void t_lclose_queued(int fam, int port)
{
    int l = tcp_listen(fam, port, 8);
    int c = tcp_socket(fam);
    REQ(xconnect(c, host(fam, port)));
    need_ready(l, POLLIN);
    out("close=%s", RV(close(l)));
    queued_client(c);
    int n = tcp_socket(fam);
    out("reconnect=%s", RV(xconnect(n, host(fam, port))));
    close(n);
    close(c);
}

static void t_lshut_queued(int fam, int port)
{
    int l = tcp_listen(fam, port, 8);
    int c = tcp_socket(fam);
    REQ(xconnect(c, host(fam, port)));
    need_ready(l, POLLIN);
    out("shutdown=%s", RV(shutdown(l, SHUT_RDWR)));
    out("l_poll=%s", poll_str(l, POLL_ALL, 0));
    set_nonblock(l, 1);
    out("accept=%s", FD(accept(l, NULL, NULL)));
    queued_client(c);
    out("l_state=%s", tcpi_str(l));
    out("l_name=%s", sockname(l));
    out("relisten=%s", RV(listen(l, 8)));
    out("accept_after=%s", FD(accept(l, NULL, NULL)));
    int n = tcp_socket(fam);
    out("reconnect=%s", RV(xconnect(n, host(fam, port))));
    out("accept_new=%s", wait_fd(l, POLLIN, WAIT_MS) > 0 ? FD(accept(l, NULL, NULL)) : "not_ready");
    close(n);
    close(c);
    close(l);
}

struct acc { int l; long r; int e; };

static void *acceptor(void *arg)
{
    struct acc *a = arg;
    a->r = accept(a->l, NULL, NULL);
    a->e = errno;
    return NULL;
}

/* A blocking accept pending in a thread while the listener is shut down
 * (it wakes) or closed (it does not: it holds the socket until its
 * SO_RCVTIMEO); what later accepts get. */
static void pending_accept(int fam, int port, int doclose)
{
    int l = tcp_listen(fam, port, 8);
    timeo(l, SO_RCVTIMEO, 500);
    struct acc a = { .l = l };
    pthread_t t;
    int pe = pthread_create(&t, NULL, acceptor, &a);
    if (pe)
        setup_fail("pthread_create", pe);
    msleep(SETTLE_MS);
    if (doclose)
        out("close=%s", RV(close(l)));
    else
        out("shutdown=%s", RV(shutdown(l, SHUT_RDWR)));
    pthread_join(t, NULL);
    out("pending=%s", fdrv(a.r, a.e));
    out("later=%s", FD(accept(l, NULL, NULL)));
    if (!doclose)
        close(l);
}

static void t_lshut_pending_accept(int fam, int port) { pending_accept(fam, port, 0); }
static void t_lclose_pending_accept(int fam, int port) { pending_accept(fam, port, 1); }

/* A blocking connect bounded by SO_SNDTIMEO that cannot complete (the
 * listener's accept queue is full): EINPROGRESS, then EALREADY. */
static void t_connect_timeo(int fam, int port)
{
    struct st s = { .fam = fam, .port = port };
    build(S_CONNECTING, &s);   /* for its full listener */
    int fd = tcp_socket(fam);
    timeo(fd, SO_SNDTIMEO, 200);
    out("connect=%s", RV(xconnect(fd, s.target)));
    out("connect2=%s", RV(xconnect(fd, s.target)));
    out("state=%s", tcpi_str(fd));
    out("so_error=%s", so_error(fd));
    out("poll0=%s", poll_str(fd, POLL_ALL, 0));
    close(fd);
}

/* --- on-subnet address nobody answers (-u) ------------------------ */

static void t_connect_unanswered(int fam, int port)
{
    if (!unanswered) { out("skipped"); return; }
    int fd = tcp_socket(AF_INET);
    out("connect=%s", RV(xconnect(fd, sa4(ip4(unanswered), port))));
    out("so_error=%s", so_error(fd));
    close(fd);
}

static void t_connect_unanswered_nb(int fam, int port)
{
    if (!unanswered) { out("skipped"); return; }
    int fd = (int)REQ(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    out("connect=%s", RV(xconnect(fd, sa4(ip4(unanswered), port))));
    out("poll=%s", poll_str(fd, POLLOUT, 5000));
    out("so_error=%s", so_error(fd));
    out("state=%s", tcpi_str(fd));
    close(fd);
}

/* ------------------------------------------------------------------ */
/* The table                                                           */

enum { F4 = 1, F6 = 2, F46 = 3, FNONE = 4 };

static const struct {
    const char *name;
    void (*fn)(int fam, int port);
    int fams;
    unsigned timeout;
} standalone[] = {
#define T(n, f) { #n, t_##n, f, 0 }
    T(lo8_bind, FNONE), T(lo8_connect, FNONE), T(lo8_connect_bound, FNONE), T(lo8_refused, FNONE),
    T(tw_server, F46), T(tw_client, F46),
    T(opt_rcvbuf, F46), T(opt_sndbuf, F46), T(opt_keepalive, F46), T(opt_linger, F46),
    T(opt_reuseaddr, F46), T(opt_timeo, F46), T(opt_nodelay, F46), T(opt_maxseg, F46),
    T(opt_keepidle, F46), T(opt_keepintvl, F46), T(opt_keepcnt, F46), T(opt_user_timeout, F46),
    T(opt_cork, F46), T(opt_quickack, F46), T(opt_defer_accept, F46), T(opt_congestion, F46),
    T(opt_tos, F46), T(opt_ttl, FNONE), T(opt_v6only, FNONE), T(opt_hops, FNONE),
    T(opt_optlen, F46), T(opt_unknown, F46), T(opt_level, F46),
    T(bind_args, F46), T(connect_args, F46), T(connect_special, F46),
    T(held_shut_rdwr, F46), T(held_reset, F46), T(held_shut_twice, F46),
    T(listen_not_writable, F46), T(lclose_queued, F46), T(lshut_queued, F46),
    T(lshut_pending_accept, F46), T(lclose_pending_accept, F46), T(connect_timeo, F46),
    { "connect_unanswered", t_connect_unanswered, FNONE, 10 },
    { "connect_unanswered_nb", t_connect_unanswered_nb, FNONE, 10 },
#undef T
};
#define NSTANDALONE (sizeof standalone / sizeof standalone[0])

#define MAXCASES (NSTATES * NCALLS * 2 + NSTANDALONE * 2)
static struct ent { int state, call, fam; size_t sa; } ents[MAXCASES];
static struct kase table[MAXCASES];
static char names[MAXCASES][64];
static size_t ncases;

static void tramp(int port)
{
    size_t i = (size_t)(port - BASE_PORT) / PORTS_PER_CASE;
    const struct ent *e = &ents[i];
    if (e->state >= 0) {
        struct st s = { .fam = e->fam, .port = port };
        build(e->state, &s);
        calls[e->call].fn(&s);
    } else {
        standalone[e->sa].fn(e->fam, port);
    }
}

static void add(const char *name, int state, int call, int fam, size_t sa, unsigned timeout_s)
{
    snprintf(names[ncases], sizeof names[ncases], "%s", name);
    ents[ncases] = (struct ent){ state, call, fam, sa };
    table[ncases] = (struct kase){ .name = names[ncases], .fn = tramp, .timeout = timeout_s };
    ncases++;
}

static int opt_u(int c, const char *arg)
{
    if (c != 'u')
        return -1;
    ip4(arg);
    unanswered = arg;
    return 0;
}

int main(int argc, char **argv)
{
    char n[64];
    for (int st = 0; st < NSTATES; st++)
        for (size_t k = 0; k < NCALLS; k++)
            for (int f = 0; f < 2; f++) {
                int fam = f ? AF_INET6 : AF_INET;
                snprintf(n, sizeof n, "%s.%s.%s", state_names[st], calls[k].name, famtag(fam));
                add(n, st, (int)k, fam, 0, 0);
            }
    for (size_t i = 0; i < NSTANDALONE; i++) {
        if (standalone[i].fams & FNONE) {
            add(standalone[i].name, -1, 0, AF_INET, i, standalone[i].timeout);
            continue;
        }
        for (int f = 0; f < 2; f++) {
            if (!(standalone[i].fams & (f ? F6 : F4)))
                continue;
            int fam = f ? AF_INET6 : AF_INET;
            snprintf(n, sizeof n, "%s.%s", standalone[i].name, famtag(fam));
            add(n, -1, 0, fam, i, standalone[i].timeout);
        }
    }
    if (BASE_PORT + PORTS_PER_CASE * (int)ncases > 29000) {
        fprintf(stderr, "%s: %zu cases overrun the port range\n", argv[0], ncases);
        return 2;
    }
    return conformance_main(argc, argv, table, ncases, "u:", opt_u, " [-u ADDR4]");
}

/*
 * conformance_tcp.h - the TCP set-up helpers tests/apps/conformance.c and
 * conformance_tcp_matrix.c share (after conformance.h: they use REQ, host()
 * and need_ready()).
 */
#ifndef NETCON_TESTS_CONFORMANCE_TCP_H
#define NETCON_TESTS_CONFORMANCE_TCP_H

static int tcp_socket(int fam) { return (int)REQ(socket(fam, SOCK_STREAM, 0)); }

/* A listener on this host's address in the given family. */
static int tcp_listen(int fam, int port, int backlog)
{
    int l = tcp_socket(fam);
    REQ(xbind(l, host(fam, port)));
    REQ(listen(l, backlog));
    return l;
}

/* Accept after waiting (bounded) for the listener to become readable. */
static int accept_wait(int l)
{
    need_ready(l, POLLIN);
    return (int)REQ(accept(l, NULL, NULL));
}

#endif

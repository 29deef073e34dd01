/* uml.h - client of a UML switch "daemon transport" (tinc's DeviceType = uml). */
#ifndef NETCON_UML_H
#define NETCON_UML_H

#include <stddef.h>
#include <sys/types.h>

/* Largest frame tinc reads (its MTU: 1500 + Ethernet header + VLAN tag). */
#define NC_UML_MAX_FRAME	1518

struct nc_uml;

/*
 * Connect to the UML switch whose control socket is @ctl_path: bind our own
 * datagram socket, register it over the control connection and learn the
 * switch's data address. Bounded to 2 s so that a stuck switch cannot hang
 * the caller. Returns NULL with errno set and a one-line reason in @why.
 */
struct nc_uml *nc_uml_open(const char *ctl_path, char *why, size_t whylen);

/* The data socket: poll it for POLLIN, each datagram is one Ethernet frame. */
int nc_uml_datafd(const struct nc_uml *u);

/*
 * The control connection: the switch never writes to it after the
 * handshake, so readable (EOF) or POLLHUP means the switch went away.
 */
int nc_uml_ctlfd(const struct nc_uml *u);

/*
 * Send one frame to the switch's data address (never blocks). -1 with errno:
 * EINVAL for an empty frame and EMSGSIZE above NC_UML_MAX_FRAME, because
 * tinc exits on an empty datagram and silently cuts a longer one.
 */
ssize_t nc_uml_send(struct nc_uml *u, const void *frame, size_t len);

/*
 * Receive one frame from the switch's process (never blocks; EAGAIN when
 * none waits); datagrams from anyone else are dropped. A frame longer
 * than @len is cut, so give it NC_UML_MAX_FRAME bytes.
 */
ssize_t nc_uml_recv(struct nc_uml *u, void *buf, size_t len);

/*
 * Datagrams dropped because another process than the switch sent them (our
 * abstract address is reachable by anyone in the network namespace).
 */
unsigned long long nc_uml_foreign(const struct nc_uml *u);

/* Close both sockets and free @u (NULL is fine). tinc exits once it sees us gone. */
void nc_uml_close(struct nc_uml *u);

#endif

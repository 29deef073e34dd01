/*
 * link.h - the Ethernet link under the stack: a vdeplug4 connection chosen by
 * one URL (tap:// is netcon's own, tap.c). For the local switch, the first service hosts it in-process and
 * later ones join; when the host goes away, a remaining service takes over.
 */
#ifndef NETCON_LINK_H
#define NETCON_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "config.h"

typedef void (*nc_link_frame_cb)(const uint8_t *frame, size_t len);
/*
 * Lends the link a buffer of at least @size bytes to receive the next frame
 * into, so that it lands where the stack keeps it; NULL: use the link's own.
 */
typedef uint8_t *(*nc_link_buffer_cb)(size_t size);
/* Told the link's new MTU (an uplink with a smaller one came or went). */
typedef void (*nc_link_mtu_cb)(unsigned mtu);

/* Ethernet's header, and its minimum frame without the FCS. */
#define NC_ETH_HDR_LEN		14
#define NC_ETH_MIN_FRAME	60

struct nc_link_stats {
	uint64_t frames_in, frames_out, bytes_in, bytes_out, send_errors;
	uint64_t runts;		/* dropped: shorter than an Ethernet header */
	uint64_t oversize;	/* dropped: longer than the link's largest frame */
	uint64_t padded;	/* shorter than 60 bytes: padded with zeros to 60 */
};

int nc_link_open(const struct nc_config *cfg, nc_link_frame_cb on_frame,
		 nc_link_buffer_cb rx_buffer);
void nc_link_attach(const struct nc_config *cfg, nc_link_frame_cb on_frame,
		    nc_link_buffer_cb rx_buffer);
/*
 * Every received frame goes through here to the stack: @buf holds @size
 * bytes, the frame's @len first. Drops runts (< 14 bytes), pads short
 * frames with zeros to 60 (in @buf when it has room).
 */
void nc_link_input_frame(uint8_t *buf, size_t len, size_t size);
int nc_link_send(const void *frame, size_t len);
int nc_link_sendv(const struct iovec *iov, int n, size_t len);
/* A frame may go out in pieces (nc_link_sendv() with more than one). */
bool nc_link_takes_pieces(void);
/* The frame being delivered has checksums the kernel checked or left unfilled (tap offloads). */
bool nc_link_frame_checked(void);
/* The link takes TCP segments larger than its MTU and cuts them itself (tap with TSO). */
bool nc_link_segments(void);
void nc_link_close(void);
int nc_link_tick(void);
bool nc_link_is_switch_host(void);
void nc_link_on_mtu(nc_link_mtu_cb cb);
unsigned nc_link_mtu(void);
const char *nc_link_url(void);
const struct nc_link_stats *nc_link_stats(void);

#endif

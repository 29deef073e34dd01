/* iobuf.h - how the service lays out the buffers the kernel copies into and out of. */
#ifndef NC_IOBUF_H
#define NC_IOBUF_H

/*
 * Such a buffer (what read(), recv(), write() and send() fill or empty)
 * starts on a page. The kernel's copy into user memory runs far slower into
 * a buffer that starts off a cache line: on this project's AMD EPYC machine
 * the shortcut's buffer, one byte past a line, carried 4 streams within one
 * service at 15-19 Gbit/s where page-aligned it carries 18-24 (2026-12-03).
 * A static buffer's place is otherwise the linker's whim: a struct of bytes
 * has no alignment of its own, so an unrelated change moved it.
 */
#define NC_IO_ALIGNED __attribute__((aligned(4096)))

/*
 * A frame goes to a link in at most this many pieces (struct iovec): lwIP's
 * pbuf chain as it is, the headers in the first piece, so that a segment's
 * data goes from where the program's bytes were read to the kernel in one
 * copy (tcp.c's send ring). A longer chain is gathered into one buffer.
 */
#define NC_FRAME_PIECES	16

#endif

/* chksum.h - the Internet checksum lwIP uses (see chksum.c and lwipopts.h). */
#ifndef NETCON_CHKSUM_H
#define NETCON_CHKSUM_H

unsigned short netcon_chksum(const void *data, int len);

#endif

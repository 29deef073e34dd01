/* arch/sys_arch.h - empty: netcon runs lwIP with NO_SYS=1. */
#ifndef NETCON_ARCH_SYS_ARCH_H
#define NETCON_ARCH_SYS_ARCH_H
#endif

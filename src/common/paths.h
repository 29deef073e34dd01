/* paths.h - where a user's service socket and local switch live by default. */
#ifndef NETCON_PATHS_H
#define NETCON_PATHS_H

#include <stddef.h>

/* The per-user folder: $NETCON_DIR, $XDG_RUNTIME_DIR/netcon, or /tmp/netcon-UID. */
int nc_default_dir(char *buf, size_t len);
/* The service's RPC socket: $NETCON_SOCKET, or DIR/service.sock. */
int nc_default_socket(char *buf, size_t len);
/*
 * Where a container's service is (netcon run, the OCI hook and the runtime
 * wrapper mount its folder there): a program that was not told
 * (NETCON_SOCKET, NETCON_DIR unset; `podman exec` does not pass on the
 * hook's environment) uses it when it exists.
 */
#define NC_CONTAINER_SOCKET	"/run/netcon/service.sock"
/* A program's service: NC_CONTAINER_SOCKET when not told otherwise and it exists, else nc_default_socket(). */
int nc_program_socket(char *buf, size_t len);
/* The local switch's folder: DIR/switch. */
int nc_default_switch(char *buf, size_t len);
/* Our uid outside user namespaces (the UID in /tmp/netcon-UID). */
unsigned nc_real_uid(void);
/*
 * Make @dir (and missing parents) if needed and check that only we control
 * it: a folder, not a symbolic link, ours, writable by nobody else. With
 * @group >= 0 the folder is opened to that group (search and read). Returns
 * 0, or -1 with the reason (and what to do) in @why.
 */
int nc_secure_dir(const char *dir, long group, char *why, size_t whylen);
/*
 * May a program trust the service answering at @path, which runs as
 * @peer_uid (SO_PEERCRED)? Root, the program's own real or effective uid, or
 * the uid in @trusted_env ($NETCON_SERVICE_UID). Returns 1, or 0 with a
 * one-line reason in @why.
 */
int nc_peer_trusted(unsigned peer_uid, const char *trusted_env, char *why, size_t whylen,
		    const char *path);

#endif

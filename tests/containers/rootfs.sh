#!/bin/sh
# tests/containers/rootfs.sh OUT.tar [+]FILE... - a minimal glibc image's
# rootfs: the programs named (copied to /bin) with the shared libraries ldd
# lists, a shell, /etc/passwd, /etc/group and nsswitch.conf; a FILE written
# +FILE only has its libraries copied (libnetcon's, which the container gets
# mounted). For `docker import` and `podman import` (no registry needed).
set -eu
out=$1
shift
root=$(mktemp -d /tmp/netcon-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/root"
chmod 1777 "$root/tmp"
for b in /bin/sh "$@"; do
	case $b in
	+*) b=${b#+} ;;
	*) cp -L "$b" "$root/bin/$(basename "$b")" ;;
	esac
	ldd "$b" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }'
done | sort -u | while read -r l; do
	mkdir -p "$root$(dirname "$l")"
	cp -L "$l" "$root$l"
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
: >"$root/etc/resolv.conf"
: >"$root/etc/ld.so.preload"
tar --owner=0 --group=0 --numeric-owner -C "$root" -cf "$out" .

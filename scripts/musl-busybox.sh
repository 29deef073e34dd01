#!/bin/sh
# Builds Alpine's userland program, busybox, from Debian's busybox source
# package with musl-gcc, for tests/suites/musl.sh (a real program linked
# against musl: Debian ships none). The source comes through the private apt
# configuration `make deps` set up for lwIP's (.deps/apt); nothing in the
# system's apt set-up changes.
#
#   scripts/musl-busybox.sh OUTDIR     builds OUTDIR/busybox (kept once built)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$1
apt_dir="$top/.deps/apt"
[ -x "$out/busybox" ] && exit 0
command -v musl-gcc >/dev/null || { echo "musl-busybox: musl-gcc not found (musl-tools)" >&2; exit 1; }
[ -d "$apt_dir/sources" ] || { echo "musl-busybox: no $apt_dir (run make deps)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/src" "$out/dl" "$out/include"
mkdir -p "$out/dl" "$out/include"
opts="-o Dir::Etc::SourceList=$apt_dir/sources/netcon.list -o Dir::Etc::SourceParts=$apt_dir/sources
-o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir/cache -o Debug::NoLocking=1
-o APT::Sandbox::User=root"
# shellcheck disable=SC2086
(cd "$out/dl" && apt-get -q $opts source --download-only busybox >"$out/fetch.log" 2>&1) ||
	{ echo "musl-busybox: cannot fetch Debian's busybox source (see $out/fetch.log)" >&2; exit 1; }
dpkg-source -x "$(ls "$out"/dl/busybox_*.dsc | head -n 1)" "$out/src" >"$out/unpack.log" 2>&1
# The kernel's headers, which musl's include folder lacks (Alpine's linux-headers).
arch=$(gcc -dumpmachine)
for d in linux asm-generic mtd; do ln -sfn "/usr/include/$d" "$out/include/$d"; done
ln -sfn "/usr/include/$arch/asm" "$out/include/asm"
cd "$out/src"
make defconfig >"$out/build.log" 2>&1
# Applets that want glibc's RPC or traffic-control headers, which musl has not.
sed -i -e 's/^CONFIG_TC=y/# CONFIG_TC is not set/' \
	-e 's/^CONFIG_FEATURE_HAVE_RPC=y/# CONFIG_FEATURE_HAVE_RPC is not set/' \
	-e 's/^CONFIG_FEATURE_INETD_RPC=y/# CONFIG_FEATURE_INETD_RPC is not set/' .config
make -j"$(nproc)" CC=musl-gcc HOSTCC=gcc EXTRA_CFLAGS="-idirafter $out/include" busybox \
	>>"$out/build.log" 2>&1 || { echo "musl-busybox: build failed (see $out/build.log)" >&2; exit 1; }
cp busybox "$out/busybox"
echo "musl-busybox: $out/busybox"

#!/bin/sh
# Installs netcon's build and test dependencies from Debian's packages and fetches
# lwIP's sources as Debian's source package, through a private apt configuration
# so that the system's own apt set-up is never changed.
#
#   scripts/deps.sh [packages|lwip|all]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
deps_dir="$top/.deps"
what=${1:-all}

# Everything the build, `make test` and `make demo` use. Benchmarks and the
# compatibility suite install their own extra tools.
PACKAGES="build-essential pkg-config dpkg-dev clang-14 libclang-rt-14-dev libvdeplug-dev vdeplug libvdeplug-slirp libslirp-dev
libvdeplug-agno libvdeplug-vlan libcmocka-dev musl-tools iproute2 iputils-ping nftables tcpdump
curl python3 nginx-light postgresql util-linux procps wrk
dnsmasq-base bind9-dnsutils socat iperf3 memcached nodejs
docker.io podman runc uidmap caddy golang-go busybox-static tinc"

# Each step says one line; apt's output goes to this log, whose tail is shown
# when a step fails.
log="$deps_dir/deps.log"

# step TEXT COMMAND...: run COMMAND with its output in the log.
step() {
	text=$1
	shift
	mkdir -p "$deps_dir"
	echo "netcon: $text"
	echo "=== $(date -u '+%F %T') $text: $*" >>"$log"
	if ! "$@" >>"$log" 2>&1; then
		echo "netcon: failed: $text; the end of $log:" >&2
		tail -n 20 "$log" | sed 's/^/  /' >&2
		exit 1
	fi
}

missing_packages() {
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || printf '%s ' "$p"
	done
}

install_packages() {
	missing=$(missing_packages)
	[ -n "$missing" ] || return 0
	if [ "$(id -u)" != 0 ]; then
		echo "netcon: missing Debian packages; as root, run:" >&2
		echo "  apt-get install -y $missing" >&2
		exit 1
	fi
	step "updating apt's package lists" apt-get update -q
	# shellcheck disable=SC2086
	step "installing $missing" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

# Writes deb-src entries for every archive the machine uses, in both the
# deb822 (.sources) and the one-line (sources.list) formats.
write_private_sources() {
	out=$1
	: > "$out/netcon.list"
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$out/netcon.list"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed 's/^Types:.*$/Types: deb-src/' "$f" > "$out/$(basename "$f")"
	done
}

fetch_lwip() {
	[ -f "$deps_dir/lwip/src/core/tcp.c" ] && return 0
	command -v dpkg-source >/dev/null || { echo "netcon: dpkg-dev is needed (make deps)" >&2; exit 1; }
	apt_dir="$deps_dir/apt"
	rm -rf "$apt_dir" "$deps_dir/lwip"
	mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/src"
	write_private_sources "$apt_dir/sources"
	opts="-o Dir::Etc::SourceList=$apt_dir/sources/netcon.list -o Dir::Etc::SourceParts=$apt_dir/sources
-o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir/cache -o Debug::NoLocking=1
-o APT::Sandbox::User=root"
	# shellcheck disable=SC2086
	step "reading source package lists (private apt configuration in $apt_dir)" apt-get -q $opts update
	# shellcheck disable=SC2086
	step "fetching Debian's lwip source package" sh -c 'cd "$1" && shift && apt-get -q "$@" source --download-only lwip' - "$apt_dir/src" $opts
	dsc=$(ls "$apt_dir"/src/lwip_*.dsc | head -n 1)
	step "unpacking lwIP's sources into $deps_dir/lwip" dpkg-source -x "$dsc" "$deps_dir/lwip"
}

case "$what" in
packages) install_packages ;;
lwip) fetch_lwip ;;
all) install_packages; fetch_lwip ;;
*) echo "usage: $0 [packages|lwip|all]" >&2; exit 2 ;;
esac

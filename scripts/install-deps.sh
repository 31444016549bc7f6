#!/bin/sh
# Debian packages skiff needs at run time and for its tests/benchmarks. Idempotent.
#   runtime:   gcc/make (build the native helpers), musl-tools (skiff-runtime is linked against musl: a
#              supervisor's code is a private copy per container, see native-bindings/Makefile), libseccomp-dev (its static libseccomp.a is linked into skiff-runtime), uidmap (newuidmap for rootless), busybox-static
#              (lab images), slirp4netns + passt (rootless networking), nftables (NAT), iproute2
#   tests:     docker-registry, skopeo, umoci (a real registry and OCI tools to cross-check against),
#              crun, runc, podman (peers for the benchmarks), qemu-system-x86 + linux-image-amd64 +
#              cpio (the cgroup v2 VM), debootstrap + qemu-utils + openssh-client + e2fsprogs (the lab VM
#              of `npm run test:lab`), iperf3 + apache2-utils (ab) + rootlesskit (bench/port-forward's
#              load and its peer, rootlesskit's builtin port driver), hyperfine, strace, ruby + shellcheck (Vagrantfile checks),
#              docker.io (docker CLI 20.10 + dockerd as the Engine API reference) and docker-compose 1.29,
#              containerd (drives skiff-oci in test/integration/oci-containerd); golang-go is not here: only
#              scripts/oci-conformance.sh needs it, and it installs it
set -eu
RUNTIME="gcc make libc6-dev musl-tools libseccomp-dev uidmap busybox-static slirp4netns passt nftables iproute2 tar gzip zstd ca-certificates libnftables1"
TESTS="debootstrap qemu-utils openssh-client e2fsprogs docker-registry skopeo umoci crun runc podman qemu-system-x86 linux-image-amd64 cpio iperf3 rootlesskit hyperfine strace apache2-utils ruby shellcheck openssl docker.io docker-compose containerd"
want="$RUNTIME"
[ "${1:-}" = "--with-tests" ] && want="$RUNTIME $TESTS"
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "skiff needs these Debian packages:$missing — run: sudo apt-get install$missing" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

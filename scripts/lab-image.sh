#!/bin/bash
# Builds the disk image of the lab VM that `npm run test:lab` boots: Debian 12 made by debootstrap from the
# host's own Debian mirror, with systemd as pid 1, Debian's kernel, an ssh server and a `vagrant` user set up
# as a Vagrant box sets them up, and every package the provision script installs already installed — so the
# VM needs no network of its own (it gets none: its QEMU network only forwards two loopback ports in).
#
#   scripts/lab-image.sh OUT_DIR
#
# Writes OUT_DIR/{disk.raw,vmlinuz,initrd.img,vagrant_key,vagrant_key.pub,stamp}. The image is cached by a key
# of this script and the package lists: a second call with the same key does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/lab-image.sh OUT_DIR}
mkdir -p "$out"

# What provisioning needs (scripts/install-deps.sh's runtime list, the provision script's base packages),
# and what a Vagrant box has (systemd, sshd, sudo, a user session with dbus for `systemctl --user`).
runtime=$(sed -n 's/^RUNTIME="\(.*\)"$/\1/p' scripts/install-deps.sh)
base="ca-certificates curl gnupg rsync git"
box="systemd-sysv dbus dbus-user-session libpam-systemd udev sudo openssh-server linux-image-amd64 initramfs-tools procps less iputils-ping xz-utils file"
packages=$(echo "$runtime $base $box" | tr ' ' '\n' | sort -u | tr '\n' ',' | sed 's/,$//')
base_key=$(printf '%s\n' "$packages" | sha256sum | cut -c1-16)
key=$(printf '%s\n' "$(cat "$0")" "$packages" "$(node --version)" "$(npm --version)" | sha256sum | cut -c1-16)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$key" ]; then
  echo "lab image: cached ($out, key $key)"
  exit 0
fi
rm -f "$out/stamp"

# The mirror the host itself uses (its apt sources), so the image comes from where the host's packages do.
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || { echo "lab image: no Debian mirror found in the host's apt sources" >&2; exit 1; }
case "$(node -p 'process.versions.node.split(".")[0]')" in 2[0-9]|[3-9][0-9]) ;; *) echo "lab image: the host needs Node.js >= 20 to seed the VM" >&2; exit 1 ;; esac

work=$(mktemp -d /var/tmp/skiff-lab-image.XXXXXX)
trap 'umount -R "$work/root/proc" "$work/root/sys" "$work/root/dev" 2>/dev/null || true; rm -rf "$work"' EXIT
root=$work/root
# The debootstrap stage is the slow part (and depends only on the package list): kept as a tarball.
base=$out/base-$base_key.tar
if [ -f "$base" ]; then
  echo "lab image: debootstrap stage cached ($base)"
  mkdir "$root" && tar -xpf "$base" -C "$root" --numeric-owner
else
  echo "lab image: debootstrap bookworm from the host's mirror ($(echo "$packages" | tr ',' ' ' | wc -w) packages)"
  debootstrap --include="$packages" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -30 "$work/debootstrap.log"; exit 1; }
  rm -f "$out"/base-*.tar
  tar -cpf "$base.tmp" -C "$root" --numeric-owner . && mv "$base.tmp" "$base"
fi

# Node.js 20: Debian 12 ships 18 and the provision script installs 20 from NodeSource when it is missing.
# The VM has no network, so it gets the host's own Node.js and npm (the same files, at the same paths).
node_bin=$(command -v node)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
install -D -m 0755 "$node_bin" "$root/usr/bin/node"
mkdir -p "$root/usr/lib/node_modules"
cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"

# The host's package lists: apt in the VM then knows the same versions the host does (as after `apt-get
# update`), which the lab image builder's package resolution reads.
cp -a /var/lib/apt/lists/. "$root/var/lib/apt/lists/"
rm -f "$root/var/lib/apt/lists/lock"
cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true

# A Vagrant box: user vagrant (uid 1000) with passwordless sudo and an ssh key.
echo skiff-lab >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 skiff-lab\n' >"$root/etc/hosts"
chroot "$root" useradd -m -u 1000 -s /bin/bash vagrant
echo 'vagrant ALL=(ALL) NOPASSWD:ALL' >"$root/etc/sudoers.d/vagrant"
chmod 0440 "$root/etc/sudoers.d/vagrant"
rm -f "$out/vagrant_key" "$out/vagrant_key.pub"
ssh-keygen -q -t ed25519 -N '' -C vagrant@skiff-lab -f "$out/vagrant_key"
install -d -m 0700 -o 1000 -g 1000 "$root/home/vagrant/.ssh"
install -m 0600 -o 1000 -g 1000 "$out/vagrant_key.pub" "$root/home/vagrant/.ssh/authorized_keys"
echo 'UseDNS no' >"$root/etc/ssh/sshd_config.d/vagrant.conf"
# The root filesystem, and DHCP on QEMU's user network (as a box's first NIC).
echo '/dev/vda / ext4 defaults 0 1' >"$root/etc/fstab"
cat >"$root/etc/systemd/network/80-lab.network" <<'NET'
[Match]
Name=en* eth*
[Network]
DHCP=ipv4
NET
chroot "$root" systemctl enable systemd-networkd ssh serial-getty@ttyS0 >/dev/null 2>&1
chroot "$root" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service >/dev/null 2>&1
chroot "$root" apt-get clean

kver=$(find "$root/boot" -maxdepth 1 -name "vmlinuz-*" -printf "%f\n" | sed "s/^vmlinuz-//" | sort -V | tail -1)
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$out/initrd.img"
rm -f "$out/disk.raw"
truncate -s 12G "$out/disk.raw"
mkfs.ext4 -q -F -L skiff-lab -d "$root" "$out/disk.raw"
echo "$key" >"$out/stamp"
echo "lab image: built $out (kernel $kver, key $key)"

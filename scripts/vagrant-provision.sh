#!/bin/sh
# Provisions the skiff lab VM (see Vagrantfile and docs/vagrant.md). Runs as root inside the guest.
# Idempotent: `vagrant provision` may run it again.
#   1. Node.js 20 (Debian 12 ships 18) from NodeSource's apt repository
#   2. skiff itself: sudo ./scripts/install.sh as the vagrant user
#   3. cgroup v2: unified hierarchy (Debian 12's default; set on the kernel cmdline only if missing)
#      and cpu/cpuset/io/memory/pids delegated to users' systemd sessions, for rootless limits
#   4. containers with a restart policy come back after a reboot: a systemd user unit runs
#      `skiff start --all --filter restart-policy=…` at boot (the user's manager starts at boot: linger)
#   5. the Docker Engine API for the lab user: `skiff system service` as a `systemctl --user` service, so the
#      docker CLI, compose and SDKs work with DOCKER_HOST=unix://$XDG_RUNTIME_DIR/skiff/skiff.sock
# Nothing is downloaded that is already there, so a box with the packages pre-installed provisions offline.
set -eu
LAB_USER=${LAB_USER:-vagrant}
SKIFF_DIR=${SKIFF_DIR:-/home/$LAB_USER/skiff}
export DEBIAN_FRONTEND=noninteractive

echo "==> base packages"
missing=""
for p in ca-certificates curl gnupg rsync git; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086 # a list of package names, split on purpose
  apt-get install -y -qq --no-install-recommends $missing
fi

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 20 ]; then
  echo "==> Node.js 20 (NodeSource)"
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
  echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main" >/etc/apt/sources.list.d/nodesource.list
  apt-get update -qq
  apt-get install -y -qq nodejs
fi

echo "==> skiff"
cd "$SKIFF_DIR"
SUDO_USER=$LAB_USER ./scripts/install.sh

echo "==> cgroup v2"
reboot_needed=""
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
  echo "unified cgroup v2 hierarchy already mounted on /sys/fs/cgroup"
elif ! grep -q 'systemd.unified_cgroup_hierarchy=1' /etc/default/grub; then
  sed -i 's/^GRUB_CMDLINE_LINUX="\(.*\)"/GRUB_CMDLINE_LINUX="\1 systemd.unified_cgroup_hierarchy=1"/' /etc/default/grub
  update-grub
  reboot_needed=1
else
  reboot_needed=1
fi

# systemd gives a user's session (user@UID.service) only the pids controller by default; rootless
# --memory/--cpus need the others delegated too.
install -d -m 0755 /etc/systemd/system/user@.service.d
cat >/etc/systemd/system/user@.service.d/delegate.conf <<'CONF'
[Service]
Delegate=cpu cpuset io memory pids
CONF
systemctl daemon-reload

echo "==> restart policies across reboots"
# dockerd brings back --restart always/unless-stopped containers when it starts; skiff has no daemon, so
# each user's systemd manager does it at boot (as podman-restart.service does for podman).
# No After=default.target: default.target wants this unit, so that ordering would be a cycle, and systemd breaks
# a cycle by dropping a unit from the boot transaction (seen: skiff.service below not started after a reboot).
cat >/etc/systemd/user/skiff-restart.service <<'UNIT'
[Unit]
Description=Start skiff containers whose restart policy is always or unless-stopped

[Service]
Type=oneshot
RemainAfterExit=true
ExecStart=/usr/local/bin/skiff start --all --filter restart-policy=always --filter restart-policy=unless-stopped

[Install]
WantedBy=default.target
UNIT
systemctl --global enable skiff-restart.service

echo "==> the Engine API (systemctl --user)"
# The socket is made by skiff itself inside the user's engine namespace, so there is no socket unit.
cat >/etc/systemd/user/skiff.service <<'UNIT'
[Unit]
Description=skiff Engine API (rootless): DOCKER_HOST=unix://%t/skiff/skiff.sock

[Service]
ExecStart=/usr/local/bin/skiff system service
Restart=on-failure

[Install]
WantedBy=default.target
UNIT
systemctl --global enable skiff.service
# The user's manager (and so the unit above) starts at boot, not only at the first login.
loginctl enable-linger "$LAB_USER"
# And the API now, in the user's running manager (at boot the global enable above starts it).
if systemctl --machine="$LAB_USER@.host" --user daemon-reload 2>/dev/null; then
  systemctl --machine="$LAB_USER@.host" --user restart skiff.service \
    || echo "warning: skiff.service did not start now; it starts at the next boot (journalctl --user -u skiff)" >&2
fi

cat <<MSG

skiff is installed. $( [ -n "$reboot_needed" ] && echo "Run \`vagrant reload\` first: the kernel command line changed (cgroup v2)." )
Try the chapter's first command:

  vagrant ssh
  skiff container run diamol/ch02-hello-diamol

Check the machine any time with: skiff doctor
The Docker Engine API is served for $LAB_USER: export DOCKER_HOST=unix://\$XDG_RUNTIME_DIR/skiff/skiff.sock
MSG

#!/bin/sh
# Install skiff on a Debian 12 machine, offline except for Debian's and npm's package mirrors:
# Debian packages, npm dependencies, the native launcher, the bundled CLI, the chapter's lab images,
# /usr/local/bin/skiff, and subordinate uid/gid ranges for the user who ran sudo (rootless mode).
# Idempotent: running it again only redoes what changed.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
if [ "$(id -u)" != 0 ]; then
  # An ordinary user: install as root through sudo, then that user runs skiff rootless.
  if command -v sudo >/dev/null 2>&1; then exec sudo "$0" "$@"; fi
  echo "skiff install: run it as root (or install sudo): su -c ./scripts/install.sh" >&2
  exit 1
fi
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

step "Debian packages"
./scripts/install-deps.sh

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "skiff install: skiff needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "  install it, e.g.: sudo apt-get install nodejs npm && sudo npm install -g n && sudo n 20" >&2
  exit 1
fi

step "npm dependencies"
npm ci --no-audit --no-fund --loglevel=error

step "native launcher and CLI"
npm run -s build

step "lab images (the chapter's images, built from Debian packages)"
npm run -s lab:build

step "skiff on PATH"
ln -sf "$top/bin/skiff" /usr/local/bin/skiff

# Rootless mode maps a range of subordinate ids; Debian gives new users one, older users may lack it.
user=${SUDO_USER:-}
if [ -n "$user" ] && [ "$user" != root ]; then
  for f in /etc/subuid /etc/subgid; do
    touch "$f"
    if ! grep -q "^$user:" "$f"; then
      # The next free 65536-id block above 100000.
      start=$(awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}' /etc/subuid /etc/subgid)
      if [ "$f" = /etc/subuid ]; then usermod --add-subuids "$start-$((start + 65535))" "$user"
      else usermod --add-subgids "$start-$((start + 65535))" "$user"; fi
      echo "gave $user subordinate ids $start-$((start + 65535)) in $f"
    fi
  done
  # The user owns their own store; the build above ran as root.
  chown -R "$user": "$top/rootfs/build" 2>/dev/null || true
fi
# The lab images must be readable by every user (rootless engines import them).
chmod -R a+rX "$top/rootfs/build" "$top/dist" "$top/native-bindings/build" "$top/node_modules" 2>/dev/null || true

step "done: try   skiff container run diamol/ch02-hello-diamol"

#!/bin/sh
# Install skiff from this checkout on a Debian/Ubuntu machine:
#   sudo ./scripts/install.sh
# Installs the Debian packages, builds skiff and the lab images as the user who ran sudo (so the
# checkout stays theirs), links /usr/local/bin/skiff, and gives that user subordinate uid/gid ranges.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "$(id -u)" != 0 ]; then
  echo "install.sh: run it as root: sudo ./scripts/install.sh" >&2
  exit 1
fi
user=${SUDO_USER:-}
[ "$user" = root ] && user=""

# Build steps run as the invoking user, so node_modules/ and dist/ are not owned by root.
as_user() {
  if [ -n "$user" ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

echo "==> Debian packages"
./scripts/install-deps.sh

echo "==> Node.js"
if ! command -v node >/dev/null 2>&1; then
  echo "install.sh: Node.js 20 or newer is needed: https://nodejs.org (Debian: the NodeSource node_20.x repository)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "install.sh: Node.js $(node --version) is too old, skiff needs 20 or newer: https://nodejs.org" >&2
  exit 1
fi

echo "==> npm ci, build"
as_user npm ci --no-audit --no-fund
as_user npm run -s build

echo "==> lab images"
if [ "$(as_user npm pkg get scripts.lab:build)" != "{}" ]; then
  as_user npm run -s lab:build
else
  echo "install.sh: this checkout has no lab:build script; lab images not built" >&2
fi

echo "==> /usr/local/bin/skiff"
ln -sfn "$top/bin/skiff" /usr/local/bin/skiff

if [ -n "$user" ]; then
  echo "==> subordinate ids for $user"
  ./scripts/add-subids.sh "$user"
fi

echo "==> skiff doctor"
if [ -n "$user" ]; then
  runuser -u "$user" -- /usr/local/bin/skiff doctor || true
else
  /usr/local/bin/skiff doctor || true
fi

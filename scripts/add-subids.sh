#!/bin/sh
# Give a user 65536 subordinate uids and gids (what newuidmap/newgidmap may map for rootless skiff),
# unless /etc/subuid and /etc/subgid already grant some. The new range starts after every range
# already granted, so two users never share ids.
#   usage: add-subids.sh USER [SUBUID_FILE SUBGID_FILE]     (the files are for tests)
set -eu
user=${1:?usage: add-subids.sh USER}
subuid=${2:-/etc/subuid}
subgid=${3:-/etc/subgid}
count=65536

if ! id -u "$user" >/dev/null 2>&1; then
  echo "add-subids: no such user: $user" >&2
  exit 1
fi
uid=$(id -u "$user")

# First free id at or above 100000 in a subid file (after the highest start+count).
next_free() {
  awk -F: 'BEGIN { m = 100000 } NF >= 3 && $2 + $3 > m { m = $2 + $3 } END { print m }' "$1" 2>/dev/null || echo 100000
}

for file in "$subuid" "$subgid"; do
  [ -e "$file" ] || : >"$file"
  if grep -q -E "^($user|$uid):" "$file"; then
    echo "$user already has a range in $file"
    continue
  fi
  start=$(next_free "$file")
  echo "$user:$start:$count" >>"$file"
  echo "gave $user ids $start-$((start + count - 1)) in $file"
done

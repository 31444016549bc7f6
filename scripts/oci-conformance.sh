#!/bin/sh
# Runs opencontainers/runtime-tools' validation suite against an OCI runtime (skiff-oci by default)
# and prints passes / failures / skips, the numbers docs/oci.md keeps. It fetches nothing: give it a
# snapshot of the runtime-tools repository (a git directory, e.g. what the project's fetch tool
# brought) and it builds commit 260e151 (the last that builds with Debian 12's Go 1.19) outside the
# repository, with vendored modules only.
#   usage: scripts/oci-conformance.sh [RUNTIME] ; env: RUNTIME_TOOLS_GIT (snapshot), WORK (build dir),
#          TESTS (a subset, e.g. "validation/create/create.t"), KEEP_LOGS=1 (TAP output per test in $WORK/logs)
# Run as root. Every test runs inside a private mount namespace with its own TMPDIR: some of them
# leave mounts behind.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runtime=${1:-$top/bin/skiff-oci}
src=${RUNTIME_TOOLS_GIT:-${HOME}/runtime-tools.git}
work=${WORK:-/tmp/skiff-runtime-tools}
commit=260e151
command -v go >/dev/null || { echo "installing Go (golang-go), which only this script needs"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null; }
[ -d "$src" ] || { echo "no runtime-tools snapshot at $src (set RUNTIME_TOOLS_GIT)" >&2; exit 1; }
if [ ! -x "$work/tree/runtimetest" ]; then
  rm -rf "$work/tree"
  mkdir -p "$work"
  git clone -q --no-checkout "$src" "$work/tree"
  git -C "$work/tree" checkout -q "$commit"
  (cd "$work/tree" && GOFLAGS=-mod=vendor GOPROXY=off GOCACHE="$work/gocache" make -s runtimetest tool validation-executables)
fi
cd "$work/tree"
tests=${TESTS:-$(find validation -name '*.t' | sort)}
mkdir -p "$work/logs"
pass=0 fail=0 skip=0
for t in $tests; do
  log="$work/logs/$(echo "$t" | tr / _).tap"
  tmp=$(mktemp -d "$work/tmp.XXXXXX")
  # timeout: a test that hangs the runtime counts as its failures, not as a stuck run.
  TMPDIR=$tmp RUNTIME=$runtime timeout 60 unshare -m --propagation private "./$t" >"$log" 2>&1 || true
  rm -rf "$tmp" 2>/dev/null || true
  p=$(grep -c '^ok' "$log" | tr -d ' ' || true); p=${p:-0}
  s=$(grep -ci '^ok.*# skip' "$log" | tr -d ' ' || true); s=${s:-0}
  f=$(grep -c '^not ok' "$log" | tr -d ' ' || true); f=${f:-0}
  pass=$((pass + p - s)); skip=$((skip + s)); fail=$((fail + f))
  [ "$f" = 0 ] || echo "$t: $f failed"
done
echo "runtime-tools $commit with $(basename "$runtime"): $pass passed, $fail failed, $skip skipped"

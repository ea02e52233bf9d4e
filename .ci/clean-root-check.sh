#!/usr/bin/env bash
# Fresh-machine check: clones the COMMITTED HEAD of this repository into a clean Debian 12 root
# (debootstrap --variant=minbase bookworm) that has only the host's node and npm copied in, and runs
# the README's test command there as root (or the command given as the first argument), so that
# whatever the kit installs for itself (apt packages, npm packages) is really installed by the kit.
# Needs: root on a Debian/Ubuntu host with node 20+ in /usr/bin and npm in /usr/lib/node_modules,
# network access to a Debian mirror and the npm registry. Usage:
#   sudo .ci/clean-root-check.sh                                   # npm ci && npm test
#   sudo .ci/clean-root-check.sh "npm ci && npm run reproduce"
set -u
cmd=${1:-"npm ci --no-audit --no-fund && npm test"}
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
R=$(mktemp -d /tmp/cleanroot.XXXX)
chmod 755 "$R"   # mktemp makes it 0700: as the root's "/", that would lock out every non-root user (apt's _apt, package scripts)
echo "clean root $R; log $R.log"
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)
[[ -n $mirror ]] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[[ -n $mirror ]] || mirror=http://deb.debian.org/debian
debootstrap --variant=minbase bookworm "$R" "$mirror" >"$R.debootstrap.log" 2>&1 || { echo "debootstrap failed: $R.debootstrap.log"; exit 2; }
cp /usr/bin/node "$R/usr/bin/node"
mkdir -p "$R/usr/lib/node_modules" && cp -a /usr/lib/node_modules/npm "$R/usr/lib/node_modules/"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/bin/npm"
cp /etc/resolv.conf "$R/etc/resolv.conf"
mkdir -p "$R/etc/ssl/certs" && cp -L /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/"
cp /etc/apt/sources.list.d/debian.sources "$R/etc/apt/sources.list.d/" 2>/dev/null
mount -t proc proc "$R/proc"; mount --bind /dev "$R/dev"; mount --bind /dev/pts "$R/dev/pts"
trap 'umount "$R/dev/pts" "$R/dev" "$R/proc"' EXIT
mkdir -p "$R/work" && git clone -q "$repo" "$R/work/hpa-kit"
started=$(date +%s)
chroot "$R" /bin/bash -c "cd /work/hpa-kit && export HOME=/root && $cmd" >"$R.log" 2>&1; rc=$?
grep -E "^# (tests|pass|fail|skipped)" "$R.log"; grep -E "^not ok|# SKIP" "$R.log" | head -20
echo "clean root: rc $rc in $(( $(date +%s) - started )) s, log $R.log (the root stays in $R: rm -rf it when done)"
exit $rc

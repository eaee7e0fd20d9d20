#!/usr/bin/env bash
# Install the Debian packages the suite uses, when missing and when running as root.
set -euo pipefail
PACKAGES=(openssl softhsm2 postgresql chromium fonts-ipaexfont poppler-utils zbar-tools
  # PC/SC: the daemon, the virtual reader, OpenSC (the independent JPKI client), and what
  # building pyscard needs (swig, the PC/SC headers); iproute2 for the tests' private network
  pcscd vsmartcard-vpcd opensc swig libpcsclite-dev iproute2
  # operations (issue 19): the nginx example is checked with `nginx -t` and served in a test;
  # systemd-analyze verifies the units (systemd is on every Debian, listed to be sure);
  # curl: the relying parties' commands fetch CRLs with it (docs/relying-parties.md)
  nginx systemd curl
  # issue 17: nginx's stream module puts two `ca serve` behind one address in a test
  libnginx-mod-stream
  # issue 15: node's npm installs axe-core (pinned in tests/support/axe/package-lock.json),
  # the accessibility check the browser tests inject into every page
  nodejs)
# `sysdeps.sh bench` also installs the other peers of the benchmarks (wrk)
[ "${1:-}" = "bench" ] && PACKAGES+=(wrk)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# axe-core from the npm registry into tests/support/axe/node_modules (never a browser download)
axe() {
  local dir
  dir="$(dirname "$0")/../tests/support/axe"
  [ -f "$dir/node_modules/axe-core/axe.min.js" ] && return 0
  # Debian's nodejs comes without npm (its own package); NodeSource's nodejs carries it
  if ! command -v npm >/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "npm is missing: sudo apt-get install npm" >&2; return 1; }
    apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  echo "installing axe-core for the browser tests (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --silent)
}
if [ ${#missing[@]} -eq 0 ]; then axe; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
axe

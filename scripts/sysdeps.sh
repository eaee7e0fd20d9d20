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
  nginx systemd curl)
# `sysdeps.sh bench` also installs the other peers of the benchmarks (wrk)
[ "${1:-}" = "bench" ] && PACKAGES+=(wrk)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

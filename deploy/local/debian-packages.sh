#!/usr/bin/env bash
# Debian packages that the Python dependencies do not bring, installed with apt-get when any
# is missing (one apt-get for all of them; nothing is run when every one is there).
#
#   deploy/local/debian-packages.sh runtime   what the services need to run: WeasyPrint's
#                                            libraries (Pango, HarfBuzz's subsetter) and the
#                                            fonts the Deep Dive pack is rendered in
#   deploy/local/debian-packages.sh test      runtime's, and what the tests drive: a headless
#                                            Chromium (the pack's browser tests) and poppler's
#                                            pdftotext (the pack's PDF tests)
#
# `make install` runs `runtime`, `make test` runs `test`; the Dockerfile installs the same
# RUNTIME list in reporting-service's image (tests/test_dockerfile.py checks they agree).
# Runs apt-get as root (through sudo when not root). The log is .run/logs/debian-packages.log.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUNTIME=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
TEST=(chromium poppler-utils)

case ${1:-} in
    runtime) wanted=("${RUNTIME[@]}") ;;
    test) wanted=("${RUNTIME[@]}" "${TEST[@]}") ;;
    *) echo "usage: $0 runtime|test" >&2; exit 2 ;;
esac

missing=()
for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
((${#missing[@]})) || exit 0

command -v apt-get >/dev/null 2>&1 || {
    echo "debian-packages: missing ${missing[*]} and apt-get is not available: install them" >&2
    exit 1
}
SUDO=()
[[ $(id -u) -ne 0 ]] && SUDO=(sudo)
mkdir -p "$REPO/.run/logs"
log=$REPO/.run/logs/debian-packages.log
echo "debian-packages: installing ${missing[*]} (apt-get; log: ${log#"$REPO"/})" >&2
if ! { "${SUDO[@]}" apt-get update -qq &&
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "debian-packages: installing ${missing[*]} failed (full output: $log)" >&2
    exit 1
fi

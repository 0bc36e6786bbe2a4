#!/usr/bin/env bash
# Print the path of a uv binary, installing the pinned version from PyPI first if none is
# found. Only the path goes to stdout (the Makefile reads it); progress goes to stderr.
set -euo pipefail

UV_VERSION=0.9.5
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL=$REPO/.run/uv

if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
if [[ -x $LOCAL/bin/uv ]]; then echo "$LOCAL/bin/uv"; exit 0; fi

echo "uv: installing uv $UV_VERSION into $LOCAL" >&2
if ! python3 -m pip --version >/dev/null 2>&1; then
    echo "uv: python3 has no pip; installing python3-pip with apt-get" >&2
    SUDO=; [[ $(id -u) -ne 0 ]] && SUDO=sudo
    $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip >&2
fi
python3 -m pip install --quiet --disable-pip-version-check --target "$LOCAL/lib" "uv==$UV_VERSION" >&2 \
    || python3 -m pip install --quiet --break-system-packages --target "$LOCAL/lib" "uv==$UV_VERSION" >&2
mkdir -p "$LOCAL/bin"
ln -sf "$LOCAL/lib/bin/uv" "$LOCAL/bin/uv"
echo "$LOCAL/bin/uv"

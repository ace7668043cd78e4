#!/usr/bin/env bash
# Puts uv (from PyPI) into .tools/ when it is not on PATH. On a plain Debian, python3 may lack
# venv/pip: as root we install Debian's python3-venv, otherwise we say the one command to run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .tools/bin/uv ] && exit 0
py=$(command -v python3.11 || command -v python3)
if ! "$py" -m venv --help >/dev/null 2>&1 || ! "$py" -c "import ensurepip" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's python3-venv (needed to install uv)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  else
    echo "Python's venv module is missing. Install it with: sudo apt-get install -y python3-venv" >&2
    exit 1
  fi
fi
echo "uv not found: installing it from PyPI into .tools/"
rm -rf .tools
"$py" -m venv .tools
.tools/bin/pip install --quiet --disable-pip-version-check uv

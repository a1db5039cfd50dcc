#!/usr/bin/env bash
# Provides the Python 2.7 (with pip) that autobahn/install-wstest.sh needs, on a
# GitHub-hosted Ubuntu 22.04 runner (24.04 no longer packages Python 2), and prints its
# path on the last line; CI passes it on as PYTHON2. Elsewhere, a Python 2.7 that is
# already installed (on PATH, or under pyenv as install-wstest.sh looks for it) is used.
set -euo pipefail

log() { echo "setup-python2: $*" >&2; }
is_python27() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (2, 7) else 1)' >/dev/null 2>&1; }

py="$(command -v python2.7 || true)"
if [[ -z "$py" ]] || ! is_python27 "$py"; then
    command -v apt-get >/dev/null || { log "no python2.7 and no apt-get to install one"; exit 2; }
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    log "installing python2.7 (apt)"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python2.7 >&2
    py="$(command -v python2.7)"
fi
if ! "$py" -m pip --version >/dev/null 2>&1; then
    # The last pip for Python 2.7, from PyPA's bootstrap script for 2.7.
    log "installing pip for $py"
    curl -fsSL https://bootstrap.pypa.io/pip/2.7/get-pip.py -o "${RUNNER_TEMP:-/tmp}/get-pip.py"
    "$py" "${RUNNER_TEMP:-/tmp}/get-pip.py" --user --quiet --disable-pip-version-check >&2
fi
log "$("$py" --version 2>&1) at $py"
echo "$py"

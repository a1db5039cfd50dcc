#!/usr/bin/env bash
# Installs the pinned Autobahn|Testsuite (wstest, Python 2.7 + Twisted) into a virtualenv
# under a cache directory, idempotently, and prints the path of the `wstest` binary on the
# last line of stdout:
#
#   WSTEST=$(autobahn/install-wstest.sh | tail -1)
#
# Environment:
#   WSTEST_VENV   where the virtualenv lives (default: <repo>/target/wstest-venv)
#   PYTHON2       a Python 2.7 interpreter to use instead of searching for one
#
# The version is pinned: wstest's test data changed between releases and broke
# implementations that had passed (see shared/AUTOBAHN.md).
set -euo pipefail

WSTEST_VERSION="25.10.1"
VIRTUALENV_VERSION="20.15.1"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"
venv="${WSTEST_VENV:-$repo_root/target/wstest-venv}"
wstest="$venv/bin/wstest"
stamp="$venv/.wsspec-autobahntestsuite-$WSTEST_VERSION"

log() { echo "install-wstest: $*" >&2; }
die() { echo "install-wstest: error: $*" >&2; exit 1; }

verify() {
    if ! "$wstest" --help >/dev/null 2>&1; then
        return 1
    fi
    return 0
}

if [[ -f "$stamp" && -x "$wstest" ]] && verify; then
    log "autobahntestsuite==$WSTEST_VERSION already installed in $venv; nothing to do"
    echo "$wstest"
    exit 0
fi

is_python27() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (2, 7) else 1)' >/dev/null 2>&1
}

find_python2() {
    local candidate
    for candidate in python2.7 python2; do
        # A pyenv shim exists even when no 2.7 version is selected; is_python27 runs it to check.
        if command -v "$candidate" >/dev/null 2>&1 && is_python27 "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    local root=""
    if command -v pyenv >/dev/null 2>&1; then
        root="$(pyenv root)"
    elif [[ -d "${PYENV_ROOT:-$HOME/.pyenv}/versions" ]]; then
        # pyenv installed but not on PATH (non-interactive shells, CI).
        root="${PYENV_ROOT:-$HOME/.pyenv}"
    fi
    if [[ -n "$root" ]]; then
        # Newest 2.7.x first.
        for candidate in $(ls -d "$root"/versions/2.7.* 2>/dev/null | sort -t. -k3 -n -r); do
            if [[ -x "$candidate/bin/python" ]] && is_python27 "$candidate/bin/python"; then
                echo "$candidate/bin/python"
                return 0
            fi
        done
    fi
    return 1
}

if [[ -n "${PYTHON2:-}" ]]; then
    is_python27 "$PYTHON2" || die "PYTHON2=$PYTHON2 is not a Python 2.7 interpreter"
    py2="$PYTHON2"
else
    py2="$(find_python2)" || die "no Python 2.7 found (looked for python2.7, python2 on PATH and \$(pyenv root)/versions/2.7.*). \
Install one, e.g. 'pyenv install 2.7.18' or your distribution's python2.7 package, or set PYTHON2=/path/to/python2.7."
fi
log "using Python 2.7 at $py2"

if [[ ! -x "$venv/bin/python" ]] || ! is_python27 "$venv/bin/python"; then
    if ! "$py2" -m virtualenv --version >/dev/null 2>&1; then
        log "installing virtualenv==$VIRTUALENV_VERSION for $py2 (user site)"
        "$py2" -m pip install --quiet --disable-pip-version-check --user "virtualenv==$VIRTUALENV_VERSION" >&2 \
            || die "could not install virtualenv==$VIRTUALENV_VERSION with $py2 -m pip"
    fi
    if [[ -e "$venv" && -n "$(ls -A "$venv" 2>/dev/null)" && ! -f "$venv/pyvenv.cfg" && ! -f "$venv/bin/activate" ]]; then
        die "$venv exists and is not a virtualenv; remove it or set WSTEST_VENV elsewhere"
    fi
    log "creating virtualenv $venv"
    mkdir -p "$(dirname "$venv")"
    rm -rf "$venv"
    "$py2" -m virtualenv --quiet "$venv" >&2 || die "could not create a virtualenv at $venv"
fi

log "installing autobahntestsuite==$WSTEST_VERSION into $venv (takes about a minute)"
"$venv/bin/pip" install --quiet --disable-pip-version-check "autobahntestsuite==$WSTEST_VERSION" >&2 \
    || die "pip install autobahntestsuite==$WSTEST_VERSION failed"

verify || die "$wstest --help does not work after installing; remove $venv and retry"
touch "$stamp"
log "installed autobahntestsuite==$WSTEST_VERSION"
echo "$wstest"

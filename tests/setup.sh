#!/usr/bin/env bash
# Installs what the end-to-end tests drive besides the product: the original's
# bridge and the official MCP SDKs (Python 2.x and 1.x, TypeScript), tmux for
# the dashboard test and cargo-deb for the packaging test. Idempotent: what is
# already there at the pinned version is left alone, so a second run takes a
# second. `.ci/run` runs it; the tests run it themselves when something is
# missing (tests/common/clients.rs), so `cargo test` alone sets up a fresh
# machine that reaches the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

venv_with() { # venv dir, pip requirement, python module to check, version
    local venv=$1 requirement=$2 package=$3 version=$4
    if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('$package') != '$version')" 2>/dev/null; then
        echo "setup: $venv <- $requirement"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$requirement"
    fi
}

# The original's bridge (pins mcp<2), and the official Python SDK, both majors.
venv_with tests/clients/bridge/.venv alpenglow-mcp-bridge==1.0.4 alpenglow-mcp-bridge 1.0.4 &
venv_with tests/clients/python/.venv2 mcp==2.3.0 mcp 2.3.0 &
venv_with tests/clients/python/.venv1 mcp==1.30.0 mcp 1.30.0 &

# The official TypeScript SDK, at the lock file's version.
ts=tests/clients/ts
sdk=$ts/node_modules/@modelcontextprotocol/sdk/package.json
if ! node -e "process.exit(require('./$sdk').version === '1.32.2' ? 0 : 1)" 2>/dev/null; then
    echo "setup: $ts <- npm ci"
    (cd "$ts" && npm ci --no-audit --no-fund --loglevel=error) &
fi

# tmux drives the dashboard's end-to-end test.
if ! command -v tmux >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup: tmux <- apt-get"
        (apt-get update -qq && apt-get install -y -qq tmux >/dev/null) &
    else
        echo "setup: tmux is missing; install it (e.g. sudo apt-get install tmux)" >&2
        exit 1
    fi
fi

# cargo-deb builds the package in tests/e2e/packaging.rs. gzip instead of the
# default xz: no C library to build, and the test reads either. Unoptimised
# (--debug): it compiles with half the CPU (95 s against 198 s of user time,
# measured), which CI spends beside clippy on two cores, and packaging one
# binary takes no longer with it.
if ! cargo deb --version 2>/dev/null | grep -q '3\.8\.0'; then
    echo "setup: cargo-deb 3.8.0 <- cargo install --debug"
    cargo install --debug --quiet cargo-deb --version 3.8.0 --locked --no-default-features --features gzip
fi

# Each background install above must have succeeded.
for job in $(jobs -p); do wait "$job"; done
echo "setup: test clients ready"

#!/usr/bin/env bash
# Alpenglow's MCP stateless tools/call against mcp-server-odoo's on the same
# sandbox, 16 connections each, in one run of `cargo bench --bench gateway`
# (issue 16's target: at least 10x its calls/s). Installs mcp-server-odoo
# 0.9.0 from PyPI into tests/clients/odoo-mcp/.venv first (once). Not part of
# `cargo test`. Extra arguments go to cargo, e.g. ALPENGLOW_BENCH_SECONDS=5.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=tests/clients/odoo-mcp/.venv
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('mcp-server-odoo') != '0.9.0')" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check mcp-server-odoo==0.9.0
fi
ALPENGLOW_BENCH_MCP_SERVER_ODOO="$PWD/$venv/bin/python" exec cargo bench --bench gateway "$@"

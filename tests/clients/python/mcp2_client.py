"""Drives Alpenglow with the official MCP Python SDK 2.x (`mcp==2.3.0`),
whose Client probes `server/discover` (2026-07-28) and falls back to
initialize. Usage: mcp2_client.py URL KEY. Prints the negotiated version,
one line per check and 'N passed, N failed'; exit 1 on any failure."""

import asyncio
import sys

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

import scenario


async def main(url, key):
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            print(f"NEGOTIATED {client.protocol_version}")
            return await scenario.run(client, "mcp2", expect_structured=True)


if __name__ == "__main__":
    sys.exit(1 if asyncio.run(main(sys.argv[1], sys.argv[2])) else 0)

"""Drives Alpenglow with the official MCP Python SDK 1.x (`mcp==1.30.0`):
streamablehttp_client + ClientSession, initialize handshake (2025-11-25 by
default). Usage: mcp1_client.py URL KEY. Prints the negotiated version, one
line per check and 'N passed, N failed'; exit 1 on any failure."""

import asyncio
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

import scenario


async def main(url, key):
    async with streamablehttp_client(url, headers={"Authorization": f"Bearer {key}"}) as (read, write, _):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            print(f"NEGOTIATED {init.protocolVersion}")
            return await scenario.run(session, "mcp1", expect_structured=True)


if __name__ == "__main__":
    sys.exit(1 if asyncio.run(main(sys.argv[1], sys.argv[2])) else 0)

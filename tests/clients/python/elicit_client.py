"""Answers Alpenglow's confirmation of a held write with the official MCP
Python SDK 2.x (2026-07-28: the input_required round trip, SEP-2322).

Usage: elicit_client.py URL KEY ANSWER NAME, where ANSWER is accept,
decline, cancel, none (a client without the elicitation capability) or
legacy (accepting, but in a 2025-11-25 session, where the call is held).
Creates a res.partner.category named NAME (the demo holds those writes for
confirmation) and prints one JSON line: the negotiated version, what the
elicitation asked (if it was asked), and the tool result."""

import asyncio
import json
import sys

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
import mcp_types as types


async def main(url, key, answer, name):
    asked = []

    async def elicit(context, params):
        asked.append({"message": params.message, "mode": getattr(params, "mode", None),
                      "schema": params.requested_schema})
        if answer == "accept":
            return types.ElicitResult(action="accept", content={"approve": True})
        return types.ElicitResult(action=answer)

    options = {} if answer == "none" else {"elicitation_callback": elicit}
    if answer == "legacy":
        options["mode"] = "legacy"
        answer = "accept"
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        async with Client(streamable_http_client(url, http_client=http), **options) as client:
            result = await client.call_tool(
                "alpenglow_create", {"model": "res.partner.category", "values": {"name": name}})
            structured = getattr(result, "structured_content", None)
            print(json.dumps({
                "version": client.protocol_version,
                "asked": asked,
                "is_error": result.is_error,
                "structured": structured,
                "text": result.content[0].text if result.content else None,
            }, default=str))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))

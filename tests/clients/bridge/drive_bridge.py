"""Drives a stdio MCP bridge (the official alpenglow-mcp-bridge, or `alpenglow
bridge`) with the official MCP Python client, and prints one JSON object:
{"tools": [...], "calls": {name: {"text": ..., "is_error": ...}}}.

Usage: drive_bridge.py SCENARIO -- COMMAND [ARGS...]
SCENARIO is "full" (every tool and aggregate operation), "one:<tool>:<json args>",
or "repeat:<n>:<tool>:<json args>" (the same call n times, labelled 1..n).
The Rust test (tests/e2e/bridge.rs) runs it for both bridges and compares.
"""

import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

FULL = [
    ("list_models", "alpenglow_list_models", {}),
    ("describe", "alpenglow_describe", {"model": "res.partner"}),
    ("search", "alpenglow_search", {"model": "res.partner", "domain": [["is_company", "=", True]],
                                    "fields": ["name", "email"], "limit": 5, "order": "name asc"}),
    ("read", "alpenglow_read", {"model": "res.partner", "ids": 1, "fields": ["name"]}),
    ("create", "alpenglow_create", {"model": "res.partner", "values": {"name": "Bridge Test Co"}}),
    ("create_many", "alpenglow_create", {"model": "res.partner", "values": [{"name": "Bridge A"}, {"name": "Bridge B"}]}),
    ("count", "alpenglow_aggregate", {"model": "sale.order", "operation": "count"}),
    ("sum", "alpenglow_aggregate", {"model": "sale.order", "operation": "sum", "field": "amount_total"}),
    ("avg", "alpenglow_aggregate", {"model": "sale.order", "operation": "avg", "field": "amount_total"}),
    ("min", "alpenglow_aggregate", {"model": "sale.order", "operation": "min", "field": "amount_total"}),
    ("max", "alpenglow_aggregate", {"model": "sale.order", "operation": "max", "field": "amount_total"}),
    ("by_partner", "alpenglow_aggregate", {"model": "sale.order", "operation": "group_by", "groupby": "partner_id",
                                           "fields": ["amount_total:sum"], "orderby": "amount_total:sum desc", "limit": 5}),
    ("by_month", "alpenglow_aggregate", {"model": "sale.order", "operation": "trend", "date_field": "date_order",
                                         "granularity": "month", "measure": "amount_total:sum"}),
    ("top5", "alpenglow_aggregate", {"model": "sale.order", "operation": "top_n", "field": "amount_total", "limit": 5}),
    ("pivot", "alpenglow_aggregate", {"model": "sale.order", "operation": "pivot", "row_groupby": "company_id",
                                      "col_groupby": "state", "fields": ["amount_total:sum"]}),
    ("execute", "alpenglow_execute", {"model": "res.partner", "method": "name_search", "args": ["Azure"]}),
    ("bad_param", "alpenglow_aggregate", {"model": "sale.order", "operation": "sum"}),
]


async def main():
    scenario = sys.argv[1]
    command = sys.argv[sys.argv.index("--") + 1:]
    params = StdioServerParameters(command=command[0], args=command[1:])
    out = {"calls": {}}
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            out["tools"] = [t.name for t in tools.tools]
            if scenario == "full":
                calls = FULL
            elif scenario.startswith("repeat:"):
                _, n, tool, args = scenario.split(":", 3)
                calls = [(str(i), tool, json.loads(args)) for i in range(1, int(n) + 1)]
            else:
                _, tool, args = scenario.split(":", 2)
                calls = [("one", tool, json.loads(args))]
            created = None
            for label, tool, args in calls:
                result = await session.call_tool(tool, args)
                text = "".join(c.text for c in result.content if getattr(c, "type", "") == "text")
                out["calls"][label] = {"text": text, "is_error": bool(result.isError)}
                if label == "create" and not result.isError:
                    created = json.loads(text)["ids"][0]
            if scenario == "full" and created is not None:
                for label, tool, args in [
                    ("update", "alpenglow_update", {"model": "res.partner", "ids": created, "values": {"phone": "555-0100"}}),
                    ("read_back", "alpenglow_read", {"model": "res.partner", "ids": [created], "fields": ["name", "phone"]}),
                    ("delete", "alpenglow_delete", {"model": "res.partner", "ids": [created]}),
                ]:
                    result = await session.call_tool(tool, args)
                    text = "".join(c.text for c in result.content if getattr(c, "type", "") == "text")
                    out["calls"][label] = {"text": text, "is_error": bool(result.isError)}
    print(json.dumps(out))


asyncio.run(main())

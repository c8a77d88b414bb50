"""The calls every official MCP client makes against Alpenglow's demo.

Shared by mcp1_client.py (mcp 1.x) and mcp2_client.py (mcp 2.x); each passes
an adapter with list_tools / call_tool / list_resources / read_resource.
Prints one line per check and a closing 'N passed, N failed' line; returns
the number of failures.
"""

import json

EXPECTED_TOOLS = [
    "alpenglow_list_models",
    "alpenglow_describe",
    "alpenglow_search",
    "alpenglow_read",
    "alpenglow_create",
    "alpenglow_update",
    "alpenglow_delete",
    "alpenglow_aggregate",
    "alpenglow_execute",
    "alpenglow_approval_status",
]


def field(obj, *names):
    """An attribute under its 1.x (camelCase) or 2.x (snake_case) name."""
    for name in names:
        if hasattr(obj, name):
            return getattr(obj, name)
    raise AttributeError(f"none of {names} on {type(obj).__name__}")


class Checks:
    def __init__(self, label):
        self.label = label
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"PASS {self.label} {name}")
        else:
            self.failed += 1
            print(f"FAIL {self.label} {name}: {detail}")


def payload(result):
    """The tool result as JSON: structured content when sent, else the text block."""
    structured = field(result, "structuredContent", "structured_content")
    text = result.content[0].text if result.content else ""
    parsed = json.loads(text) if text.startswith(("{", "[")) else None
    return structured if structured is not None else parsed, text


async def run(client, label, expect_structured):
    c = Checks(label)

    tools = await client.list_tools()
    names = [t.name for t in tools.tools]
    c.check("tools/list names and order", names == EXPECTED_TOOLS, names)
    delete_tool = next((t for t in tools.tools if t.name == "alpenglow_delete"), None)
    c.check(
        "alpenglow_delete is annotated destructive",
        delete_tool is not None and delete_tool.annotations is not None
        and field(delete_tool.annotations, "destructiveHint", "destructive_hint") is True,
        delete_tool,
    )

    async def call(name, args):
        result = await client.call_tool(name, args)
        is_error = field(result, "isError", "is_error")
        value, text = payload(result)
        if expect_structured and not is_error:
            structured = field(result, "structuredContent", "structured_content")
            c.check(f"{name} has structuredContent equal to its text", structured == json.loads(text), text)
        return is_error, value, text

    err, models, text = await call("alpenglow_list_models", {})
    model_names = [m["model"] for m in (models or {}).get("models", [])]
    c.check("list_models lists res.partner and sale.order", not err and "res.partner" in model_names and "sale.order" in model_names, text)

    err, schema, text = await call("alpenglow_describe", {"model": "res.partner"})
    c.check("describe res.partner has fields name and email", not err and "name" in schema["fields"] and "email" in schema["fields"], text[:300])

    err, found, text = await call(
        "alpenglow_search",
        {"model": "res.partner", "domain": [["is_company", "=", True]], "fields": ["name", "email"], "limit": 5, "order": "name asc"},
    )
    records = (found or {}).get("records", [])
    c.check("search finds companies", not err and len(records) > 0 and found["total"] >= len(records) and found["limit"] == 5, text[:300])
    first_id = records[0]["id"] if records else 1

    err, read, text = await call("alpenglow_read", {"model": "res.partner", "ids": [first_id], "fields": ["name"]})
    c.check("read returns the record", not err and read["records"][0]["id"] == first_id and read["records"][0]["name"] == records[0]["name"], text[:300])

    err, created, text = await call("alpenglow_create", {"model": "res.partner", "values": {"name": f"MCP {label} client", "email": "mcp@example.com"}})
    new_ids = (created or {}).get("ids", [])
    c.check("create returns one new id", not err and len(new_ids) == 1, text)
    new_id = new_ids[0] if new_ids else 0

    err, updated, text = await call("alpenglow_update", {"model": "res.partner", "ids": new_id, "values": {"phone": "555-0199"}})
    c.check("update reports updated", not err and updated.get("updated") is True, text)
    err, read, text = await call("alpenglow_read", {"model": "res.partner", "ids": new_id, "fields": ["name", "phone"]})
    c.check("the update is visible", not err and read["records"][0]["phone"] == "555-0199", text)

    err, hits, text = await call("alpenglow_execute", {"model": "res.partner", "method": "name_search", "args": [f"MCP {label}"]})
    c.check("execute name_search finds the new partner", not err and any(h[0] == new_id for h in hits["result"]), text)

    err, deleted, text = await call("alpenglow_delete", {"model": "res.partner", "ids": [new_id]})
    c.check("delete reports deleted", not err and deleted.get("deleted") is True, text)
    err, read, text = await call("alpenglow_read", {"model": "res.partner", "ids": [new_id]})
    c.check("the deleted id is missing", not err and new_id in read.get("missing_ids", []) and read["records"] == [], text)

    err, counted, text = await call("alpenglow_aggregate", {"model": "sale.order", "operation": "count"})
    c.check("aggregate count on sale.order", not err and counted["count"] > 0, text)
    err, grouped, text = await call("alpenglow_aggregate", {"model": "sale.order", "operation": "group_by", "groupby": "state", "fields": ["amount_total:sum"]})
    groups = (grouped or {}).get("groups", [])
    c.check("aggregate group_by state on sale.order", not err and len(groups) > 0, text[:300])

    err, refused, text = await call("alpenglow_delete", {"model": "sale.order", "ids": [1]})
    c.check("a refused operation is a tool error that says why", err is True and "denied" in text.lower(), text)
    err, _, text = await call("alpenglow_search", {"model": "res.partner", "limit": "many"})
    c.check("bad arguments are reported", err is True or "invalid" in text.lower(), text)

    resources = await client.list_resources()
    uris = [str(r.uri) for r in resources.resources]
    uri = "alpenglow://model/res.partner/schema"
    c.check("resources/list has the res.partner schema", uri in uris, uris)
    read = await client.read_resource(uri)
    content = read.contents[0]
    described = json.loads(content.text)
    c.check("resources/read returns the schema as JSON", field(content, "mimeType", "mime_type") == "application/json" and "name" in described["fields"], content.text[:200])

    print(f"{c.passed} passed, {c.failed} failed")
    return c.failed

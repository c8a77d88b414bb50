// Drives Alpenglow with the official TypeScript SDK (@modelcontextprotocol/sdk
// 1.x): Client + StreamableHTTPClientTransport, initialize handshake.
// Usage: node client.mjs URL KEY. Prints the negotiated version, one line per
// check and 'N passed, N failed'; exit 1 on any failure.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, key] = process.argv.slice(2);
const EXPECTED_TOOLS = [
  "alpenglow_list_models", "alpenglow_describe", "alpenglow_search", "alpenglow_read", "alpenglow_create",
  "alpenglow_update", "alpenglow_delete", "alpenglow_aggregate", "alpenglow_execute", "alpenglow_approval_status",
];

let passed = 0;
let failed = 0;
function check(name, condition, detail = "") {
  if (condition) {
    passed += 1;
    console.log(`PASS ts ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL ts ${name}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  }
}

const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${key}` } },
});
const client = new Client({ name: "alpenglow-ts-test", version: "1.0.0" });
await client.connect(transport);
console.log(`NEGOTIATED ${transport.protocolVersion}`);
check("a session id was minted", typeof transport.sessionId === "string" && transport.sessionId.length > 0, transport.sessionId);
check("serverInfo names alpenglow", client.getServerVersion()?.name === "alpenglow", client.getServerVersion());

const tools = await client.listTools();
check("tools/list names and order", JSON.stringify(tools.tools.map((t) => t.name)) === JSON.stringify(EXPECTED_TOOLS), tools.tools.map((t) => t.name));
const readTool = tools.tools.find((t) => t.name === "alpenglow_read");
check("tools carry title, outputSchema and hints", readTool?.title === "Read records" && readTool?.outputSchema?.type === "object" && readTool?.annotations?.readOnlyHint === true, readTool);

async function call(name, args) {
  const result = await client.callTool({ name, arguments: args });
  const text = result.content?.[0]?.text ?? "";
  if (!result.isError) {
    check(`${name} has structuredContent equal to its text`, JSON.stringify(result.structuredContent) === JSON.stringify(JSON.parse(text)), text);
  }
  return { isError: result.isError === true, value: result.structuredContent ?? (text.startsWith("{") ? JSON.parse(text) : null), text };
}

let r = await call("alpenglow_list_models", {});
const models = (r.value?.models ?? []).map((m) => m.model);
check("list_models lists res.partner and sale.order", !r.isError && models.includes("res.partner") && models.includes("sale.order"), r.text);

r = await call("alpenglow_describe", { model: "res.partner" });
check("describe res.partner has fields name and email", !r.isError && "name" in r.value.fields && "email" in r.value.fields, r.text.slice(0, 300));

r = await call("alpenglow_search", { model: "res.partner", domain: [["is_company", "=", true]], fields: ["name", "email"], limit: 5, order: "name asc" });
const records = r.value?.records ?? [];
check("search finds companies", !r.isError && records.length > 0 && r.value.total >= records.length && r.value.limit === 5, r.text.slice(0, 300));
const firstId = records[0]?.id ?? 1;

r = await call("alpenglow_read", { model: "res.partner", ids: [firstId], fields: ["name"] });
check("read returns the record", !r.isError && r.value.records[0].id === firstId, r.text.slice(0, 300));

r = await call("alpenglow_create", { model: "res.partner", values: { name: "MCP ts client", email: "ts@example.com" } });
const newId = r.value?.ids?.[0] ?? 0;
check("create returns one new id", !r.isError && r.value.ids.length === 1, r.text);

r = await call("alpenglow_update", { model: "res.partner", ids: newId, values: { phone: "555-0177" } });
check("update reports updated", !r.isError && r.value.updated === true, r.text);
r = await call("alpenglow_read", { model: "res.partner", ids: newId, fields: ["phone"] });
check("the update is visible", !r.isError && r.value.records[0].phone === "555-0177", r.text);

r = await call("alpenglow_execute", { model: "res.partner", method: "name_search", args: ["MCP ts"] });
check("execute name_search finds the new partner", !r.isError && r.value.result.some((hit) => hit[0] === newId), r.text);

r = await call("alpenglow_delete", { model: "res.partner", ids: [newId] });
check("delete reports deleted", !r.isError && r.value.deleted === true, r.text);
r = await call("alpenglow_read", { model: "res.partner", ids: [newId] });
check("the deleted id is missing", !r.isError && r.value.missing_ids.includes(newId) && r.value.records.length === 0, r.text);

r = await call("alpenglow_aggregate", { model: "sale.order", operation: "count" });
check("aggregate count on sale.order", !r.isError && r.value.count > 0, r.text);
r = await call("alpenglow_aggregate", { model: "sale.order", operation: "group_by", groupby: "state", fields: ["amount_total:sum"] });
check("aggregate group_by state on sale.order", !r.isError && r.value.groups.length > 0, r.text.slice(0, 300));

r = await call("alpenglow_delete", { model: "sale.order", ids: [1] });
check("a refused operation is a tool error that says why", r.isError && r.text.toLowerCase().includes("denied"), r.text);
r = await call("alpenglow_search", { model: "res.partner", limit: "many" });
check("bad arguments are a tool error (2025-11-25)", r.isError && r.text.includes("Invalid arguments"), r.text);

const resources = await client.listResources();
const uri = "alpenglow://model/res.partner/schema";
check("resources/list has the res.partner schema", resources.resources.some((res) => res.uri === uri), resources.resources.map((res) => res.uri));
const read = await client.readResource({ uri });
const content = read.contents[0];
check("resources/read returns the schema as JSON", content.mimeType === "application/json" && "name" in JSON.parse(content.text).fields, content.text.slice(0, 200));
try {
  await client.readResource({ uri: "alpenglow://model/no.such.model/schema" });
  check("an unknown resource is an error", false, "no error");
} catch (e) {
  check("an unknown resource is -32002", e.code === -32002, `${e.code} ${e.message}`);
}

await transport.terminateSession();
await client.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

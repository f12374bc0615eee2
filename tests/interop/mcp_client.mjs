// Drive an MCP server with the TypeScript SDK client and print what it saw as JSON.
//
//   node mcp_client.mjs '<plan json>'
//
// plan: {"stdio": {"command", "args", "env"?}} or {"http": "http://127.0.0.1:PORT/mcp", "token"?},
//       "calls": [{"name", "arguments"}], "resources": ["uri", ...]
// Output (stdout, one JSON document): serverInfo, protocolVersion, tools, templates, resources,
// calls [{name, isError, structuredContent, text, thrown?}], reads [{uri, mimeType, text, thrown?}].
// The assertions live in pytest (tests/mcp_server/test_interop.py).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const plan = JSON.parse(process.argv[2]);
const transport = plan.http
  ? new StreamableHTTPClientTransport(
      new URL(plan.http),
      // a configured bearer token; no authProvider, so the SDK never starts an OAuth flow
      plan.token ? { requestInit: { headers: { Authorization: `Bearer ${plan.token}` } } } : {},
    )
  : new StdioClientTransport({
      command: plan.stdio.command,
      args: plan.stdio.args ?? [],
      env: { ...process.env, ...(plan.stdio.env ?? {}) },
      stderr: "inherit",
    });

const client = new Client({ name: "ouroboros-interop", version: "0.0.0" });
const out = { calls: [], reads: [] };
try {
  await client.connect(transport);
  out.serverInfo = client.getServerVersion();
  out.protocolVersion = transport.protocolVersion ?? null;
  out.tools = (await client.listTools()).tools;
  out.resources = (await client.listResources()).resources;
  out.templates = (await client.listResourceTemplates()).resourceTemplates;
  for (const call of plan.calls ?? []) {
    try {
      const result = await client.callTool({ name: call.name, arguments: call.arguments ?? {} });
      out.calls.push({
        name: call.name,
        isError: result.isError ?? false,
        structuredContent: result.structuredContent ?? null,
        text: result.content?.[0]?.text ?? null,
      });
    } catch (err) {
      out.calls.push({ name: call.name, thrown: String(err?.message ?? err) });
    }
  }
  for (const uri of plan.resources ?? []) {
    try {
      const result = await client.readResource({ uri });
      const first = result.contents[0];
      out.reads.push({ uri, mimeType: first.mimeType, text: first.text });
    } catch (err) {
      out.reads.push({ uri, thrown: String(err?.message ?? err) });
    }
  }
} finally {
  await client.close();
}
process.stdout.write(JSON.stringify(out) + "\n");

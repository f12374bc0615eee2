// graphql-http's GraphQL-over-HTTP server audits against a running /graphql.
// Usage: node graphql_audit.cjs <node_modules dir> <url>; prints one JSON line per audit and
// exits 1 if any audit reports an error (MUST); warnings (SHOULD) are reported, not fatal.
const path = require("path");
const [nodeModules, url] = process.argv.slice(2);
const { serverAudits } = require(path.join(nodeModules, "graphql-http"));

(async () => {
  let errors = 0;
  for (const audit of serverAudits({ url, fetchFn: fetch })) {
    let result;
    try {
      result = await audit.fn();
    } catch (err) {
      result = { status: "error", reason: String(err) };
    }
    if (result.status === "error") errors += 1;
    console.log(JSON.stringify({ id: audit.id, name: audit.name, status: result.status, reason: result.reason || "" }));
  }
  process.exit(errors ? 1 : 0);
})();

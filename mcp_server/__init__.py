"""The MCP server, stdio and streamable HTTP (installed as `ouroboros.mcp_server`)."""

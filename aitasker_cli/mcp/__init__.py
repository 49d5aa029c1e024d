"""`aitasker mcp`: the Model Context Protocol server, a front end of the same engine as the
command line.

Only server.py and wire.py import the MCP SDK (the optional extra `aitasker[mcp]`); the tools,
their schemas and the reporter that collects a change's results are plain Python over ops/, so
the rest of aitasker never loads the SDK, and tests can read the tools without it.
"""

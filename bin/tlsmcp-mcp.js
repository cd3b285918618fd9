#!/usr/bin/env node
// Thin entry: the MCP server on stdio (same as `tlsmcp mcp serve`).
import { launch } from './launch.js';

await launch('cli/main', (mod) => mod.main(['mcp', 'serve', ...process.argv.slice(2)]));

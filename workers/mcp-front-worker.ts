/**
 * Entry point of an MCP front worker thread (one per `protocol: mcp` service).
 * Thin: the message handling lives in src/mcp-front/worker-runtime.ts.
 */
import { parentPort } from 'node:worker_threads';
import { runMcpFrontWorker } from '../src/mcp-front/worker-runtime.js';

if (!parentPort) throw new Error('workers/mcp-front-worker must run in a worker thread');
runMcpFrontWorker(parentPort);

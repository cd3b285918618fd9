/**
 * Entry point of an MCP front worker thread (one per `protocol: mcp` service).
 * Thin: the shared runner speaks the protocol, the MCP front kind runs the listener.
 */
import { parentPort } from 'node:worker_threads';
import { mcpFrontWorkerKind } from '../src/mcp-front/worker-kind.js';
import { runWorker } from '../src/protocol/worker-runner.js';

if (!parentPort) throw new Error('workers/mcp-front-worker must run in a worker thread');
runWorker(parentPort, mcpFrontWorkerKind);

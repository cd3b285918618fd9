/**
 * Entry point of a proxy worker thread (one per TCP service and core). Thin:
 * the shared runner speaks the protocol, the proxy kind runs the listener.
 */
import { parentPort } from 'node:worker_threads';
import { runWorker } from '../src/protocol/worker-runner.js';
import { proxyWorkerKind } from '../src/proxy/worker-kind.js';

if (!parentPort) throw new Error('workers/proxy-worker must run in a worker thread');
runWorker(parentPort, proxyWorkerKind);

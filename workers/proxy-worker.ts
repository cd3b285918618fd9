/**
 * Entry point of a proxy worker thread (one per TCP service). Thin: the
 * message handling lives in src/proxy/worker-runtime.ts.
 */
import { parentPort } from 'node:worker_threads';
import { runProxyWorker } from '../src/proxy/worker-runtime.js';

if (!parentPort) throw new Error('workers/proxy-worker must run in a worker thread');
runProxyWorker(parentPort);

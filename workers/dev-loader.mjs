// Runs a TypeScript worker entry from a checkout: registers the tsx loader in
// this thread, then imports the entry named in workerData. Node 20 does not
// apply `--import tsx` from a Worker's execArgv, hence this small bootstrap.
// The build does not need it: dist/workers/*.js are started directly.
import { workerData } from 'node:worker_threads';

const { register } = await import('tsx/esm/api');
register();
await import(workerData.tlsmcpEntry);

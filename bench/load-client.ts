/**
 * A bench load generator, one per child process (several run at once to use
 * both cores). Modes: `handshake` (new mTLS connection + one request, in a
 * loop), `keepalive` (requests back to back on persistent connections, with
 * per-request latency), `bulk` (one download), `idle` (open N connections and
 * hold them). Results go back to the parent over IPC.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';

export interface LoadJob {
  mode: 'handshake' | 'keepalive' | 'bulk' | 'idle';
  port: number;
  /** TLS options for the proxy; absent: plain TCP (direct to the backend). */
  tls?: { ca: string; cert: string; key: string };
  concurrency: number;
  durationMs: number;
  resume?: boolean;
  /** Key-exchange groups the client offers (`ecdhCurve`); absent: Node's default (X25519MLKEM768 first on Node 24). */
  groups?: string;
  bytes?: number;
  count?: number;
  responseSize: number;
}

/** Latency samples kept per client process. */
const SAMPLE = 50_000;
const REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');

// One secure context for every connection: building one per connection (parsing
// the key and certificates) would make the client, not the proxy, the bottleneck.
let context: SecureContext | undefined;

function open(job: LoadJob, session?: Buffer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (!job.tls) {
      const s = netConnect({ host: '127.0.0.1', port: job.port, noDelay: true }, () => resolve(s));
      s.once('error', reject);
      return;
    }
    context ??= createSecureContext({ ...job.tls, ...(job.groups ? { ecdhCurve: job.groups } : {}) });
    const options: ConnectionOptions = { host: '127.0.0.1', port: job.port, servername: 'localhost', secureContext: context, ...(session ? { session } : {}) };
    const s = tlsConnect(options, () => resolve(s));
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

/** Sends one request and resolves when the whole fixed-size response is in. */
function roundTrip(socket: Socket, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const onData = (d: Buffer) => {
      got += d.length;
      if (got >= size) {
        socket.off('data', onData);
        socket.off('close', onClose);
        resolve();
      }
    };
    const onClose = () => reject(new Error('closed mid-response'));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(REQUEST);
  });
}

async function handshakes(job: LoadJob) {
  const end = Date.now() + job.durationMs;
  let done = 0;
  let errors = 0;
  let resumed = 0;
  let session: Buffer | undefined;
  const loop = async () => {
    while (Date.now() < end) {
      try {
        const s = await open(job, job.resume ? session : undefined);
        if (job.resume) s.once('session', (b: Buffer) => (session = b));
        await roundTrip(s, job.responseSize);
        if ((s as unknown as { isSessionReused(): boolean }).isSessionReused()) resumed += 1;
        s.end();
        s.destroy();
        done += 1;
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, loop));
  return { done, errors, resumed };
}

async function keepalive(job: LoadJob) {
  const sockets = await Promise.all(Array.from({ length: job.concurrency }, () => open(job)));
  const latencies: number[] = [];
  let done = 0;
  const end = Date.now() + job.durationMs;
  await Promise.all(
    sockets.map(async (s) => {
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        await roundTrip(s, job.responseSize);
        // Keep memory bounded: a uniform sample (reservoir) is enough for p50/p99.
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        done += 1;
        if (latencies.length < SAMPLE) latencies.push(ms);
        else {
          const at = Math.floor(Math.random() * done);
          if (at < SAMPLE) latencies[at] = ms;
        }
      }
      s.destroy();
    }),
  );
  return { done, latencies };
}

async function bulk(job: LoadJob) {
  const s = await open(job);
  const start = process.hrtime.bigint();
  let got = 0;
  await new Promise<void>((resolve) => {
    s.on('data', (d: Buffer) => (got += d.length));
    s.once('end', () => resolve());
    s.once('close', () => resolve());
    s.write(`BULK ${job.bytes}\n`);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  s.destroy();
  return { bytes: got, seconds };
}

async function idle(job: LoadJob) {
  const sockets: Socket[] = [];
  let errors = 0;
  const batch = 50;
  for (let i = 0; i < (job.count ?? 0); i += batch) {
    const opened = await Promise.allSettled(Array.from({ length: Math.min(batch, (job.count ?? 0) - i) }, () => open(job)));
    for (const o of opened) {
      if (o.status === 'fulfilled') {
        // One round trip proves the proxy accepted it (TLS 1.3 clients learn late).
        await roundTrip(o.value, job.responseSize).catch(() => (errors += 1));
        sockets.push(o.value);
      } else errors += 1;
    }
  }
  process.send?.({ type: 'idle_ready', open: sockets.length, errors });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  for (const s of sockets) s.destroy();
  return { open: sockets.length, errors };
}

process.once('message', async (job: LoadJob) => {
  const run = { handshake: handshakes, keepalive, bulk, idle }[job.mode];
  const cpu = process.cpuUsage();
  const result = await run(job);
  // The client's own CPU: on 2 shared cores a proxy that makes its clients work harder lowers its own rate.
  const used = process.cpuUsage(cpu);
  process.send?.({ type: 'result', result: { ...result, clientCpuMicros: used.user + used.system } }, () => process.exit(0));
});

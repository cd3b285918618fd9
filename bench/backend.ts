/**
 * Bench backend, in its own process: a raw TCP responder that answers every
 * HTTP request head with a fixed small response (keep-alive), and `BULK n\n`
 * with n bytes. Deliberately cheaper than node:http so it is not the
 * bottleneck of the proxy measurements.
 */
import { createServer, type AddressInfo } from 'node:net';

const BODY = 'hello\n';
export const RESPONSE = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\nContent-Type: text/plain\r\n\r\n${BODY}`);
const CHUNK = Buffer.alloc(256 * 1024, 0x61);

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => undefined);
  let tail = '';
  socket.on('data', (data: Buffer) => {
    if (tail === '' && data[0] === 0x42 /* B */ && data.toString('latin1', 0, 5) === 'BULK ') {
      let left = Number(data.toString('latin1').slice(5).trim());
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, CHUNK.length);
          left -= n;
          if (!socket.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void socket.once('drain', pump);
        }
        socket.end();
      };
      return pump();
    }
    const text = tail + data.toString('latin1');
    let count = 0;
    let at = text.indexOf('\r\n\r\n');
    let last = 0;
    while (at !== -1) {
      count += 1;
      last = at + 4;
      at = text.indexOf('\r\n\r\n', last);
    }
    tail = text.slice(last).slice(-3);
    // HTTP/1.0 (openssl s_time -www) expects the server to close after the reply.
    if (count === 1 && text.includes('HTTP/1.0')) return void socket.end(RESPONSE);
    if (count === 1) socket.write(RESPONSE);
    else if (count > 1) socket.write(Buffer.concat(Array.from({ length: count }, () => RESPONSE)));
  });
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));

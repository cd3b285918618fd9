/**
 * `node:http` without Node's fetch stack. An ESM `import … from 'node:http'`
 * builds the module's namespace, which reads every export, including the lazy
 * `WebSocket`, `CloseEvent` and `MessageEvent` getters Node 22+ puts on http: that
 * loads Node's bundled undici (about 0.8 MB of source, kept on the heap, plus what
 * it compiles) into a thread that only wanted an HTTP server. The CommonJS object
 * from `process.getBuiltinModule` is the same module, getters untouched. Types
 * still come from `import type … from 'node:http'`, which loads nothing. A function,
 * so that a module importing this one (every proxy worker imports the health
 * probe) loads http itself only when it is used (~280 KB of a worker's heap).
 */
export function nodeHttp(): typeof import('node:http') {
  return process.getBuiltinModule('node:http');
}

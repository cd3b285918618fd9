// Loads a module from src/ through tsx when the TypeScript source is present
// (a git checkout, `npm start`), else from the compiled dist/. Sets the exit
// code from what the module's entry resolves to.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function launch(modulePath, run) {
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

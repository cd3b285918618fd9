// Fault injection for the bad-input suite, loaded into a real tlsmcp process
// with NODE_OPTIONS=--import. TLSMCP_FAULT picks the fault:
//   kill-before-rename:N  SIGKILL the process just before its Nth rename (each
//                         atomic file write ends in one), so the Nth write never lands
//   enospc:SUBSTRING      creating a file whose path contains SUBSTRING fails with
//                         ENOSPC, as on a full disk
// Node's named ESM exports of builtins follow the default export after
// syncBuiltinESMExports(), so `import { renameSync } from 'node:fs'` sees the patch.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const fault = process.env.TLSMCP_FAULT ?? '';
const [kind, arg = ''] = [fault.slice(0, fault.indexOf(':')), fault.slice(fault.indexOf(':') + 1)];

if (kind === 'kill-before-rename') {
  const at = Number(arg);
  let count = 0;
  const renameSync = fs.renameSync;
  fs.renameSync = (from, to) => {
    count += 1;
    if (count === at) process.kill(process.pid, 'SIGKILL');
    return renameSync(from, to);
  };
  syncBuiltinESMExports();
} else if (kind === 'enospc') {
  const openSync = fs.openSync;
  fs.openSync = (path, flags, mode) => {
    if (String(path).includes(arg) && (flags === 'wx' || flags === 'w')) {
      throw Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), { code: 'ENOSPC', errno: -28, syscall: 'open', path: String(path) });
    }
    return openSync(path, flags, mode);
  };
  syncBuiltinESMExports();
}

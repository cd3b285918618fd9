/**
 * A three-level PKI made with the openssl CLI (a foreign tool, not our CA):
 * root → intermediate → leaf, EC P-256, valid two days. `leafExt` sets the
 * leaf's extensions (SANs, EKU) as an openssl extfile.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OpensslChain {
  root: string;
  inter: string;
  leaf: string;
  leafKey: string;
}

export function makeOpensslChain(dir: string, name: string, leafExt = ''): OpensslChain {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const f = (part: string) => `${name}-${part}`;
  writeFileSync(join(dir, f('ca.ext')), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  writeFileSync(join(dir, f('leaf.ext')), leafExt);
  openssl('req', '-x509', ...ec, '-keyout', f('r.key'), '-out', f('r.pem'), '-subj', `/CN=${name}-root`, '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', ...ec, '-keyout', f('i.key'), '-out', f('i.csr'), '-subj', `/CN=${name}-intermediate`);
  openssl('x509', '-req', '-in', f('i.csr'), '-CA', f('r.pem'), '-CAkey', f('r.key'), '-CAcreateserial', '-out', f('i.pem'), '-days', '2', '-extfile', f('ca.ext'));
  openssl('req', ...ec, '-keyout', f('l.key'), '-out', f('l.csr'), '-subj', `/CN=${name}`);
  openssl('x509', '-req', '-in', f('l.csr'), '-CA', f('i.pem'), '-CAkey', f('i.key'), '-CAcreateserial', '-out', f('l.pem'), '-days', '2', ...(leafExt ? ['-extfile', f('leaf.ext')] : []));
  const read = (part: string) => readFileSync(join(dir, f(part)), 'utf8');
  return { root: read('r.pem'), inter: read('i.pem'), leaf: read('l.pem'), leafKey: read('l.key') };
}

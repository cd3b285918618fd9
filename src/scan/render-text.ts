/**
 * The scan report as lines of text for people: grade first, then protocols,
 * suites, chain, client authentication, extras, findings with their fixes.
 * Returns lines; the CLI prints them (library code never writes to stdout).
 */
import type { ScanReport } from './report-schema.js';

export function renderScanText(r: ScanReport): string[] {
  const out: string[] = [];
  const target = `${r.target.host}:${r.target.port}${r.target.address && r.target.address !== r.target.host ? ` (${r.target.address})` : ''}`;
  out.push(`Scan of ${target}${r.target.path !== '/' ? `, path ${r.target.path}` : ''}${r.target.sni ? `, SNI ${r.target.sni}` : ''} in ${r.duration_ms} ms${r.partial ? ' (partial: deadline reached)' : ''}`);
  if (r.error) out.push(`Result: ${r.error}`);
  if (r.grade) {
    const g = r.grade;
    const shown = g.grade === 'T' || g.grade === 'M' ? `${g.grade} (${g.grade_if_trusted} if trust issues are ignored)` : g.grade;
    out.push(`Grade: ${shown}  score ${g.score} = 30% protocol ${g.protocol_score} + 30% key exchange ${g.key_exchange_score} + 40% cipher ${g.cipher_score}`);
    for (const c of g.caps) out.push(`  ${c.cap}: ${c.reason}`);
  }
  if (r.protocols.length > 0) {
    out.push('', 'Protocols:');
    for (const p of r.protocols) out.push(`  ${p.name.padEnd(8)} ${p.status.replace('_', ' ')}${p.note ? `  (${p.note})` : ''}`);
  }
  if (r.suites.length > 0) {
    out.push('', `Cipher suites${r.server_preference === true ? ' (server order)' : r.server_preference === false ? ' (client order wins)' : ''}:`);
    for (const s of r.suites) {
      const tags = [s.forward_secrecy ? 'FS' : 'no FS', s.aead ? 'AEAD' : '', `${s.bits} bits`, s.key_exchange ?? '', s.weak ? `WEAK: ${s.weak}` : ''].filter(Boolean);
      out.push(`  ${s.protocol.padEnd(8)} ${s.name}  ${tags.join(', ')}`);
    }
  }
  const c = r.chain;
  if (c) {
    out.push('', `Certificate chain (${c.as_sent ? 'as sent' : 'rebuilt by issuer links'}; ${c.complete ? 'complete' : 'INCOMPLETE'}; ${c.in_order ? 'in order' : 'OUT OF ORDER'}):`);
    c.certificates.forEach((cert, i) => {
      out.push(`  [${i}] ${cert.subject}`);
      out.push(`      issuer ${cert.issuer}${cert.self_signed ? ' (self-signed)' : ''}`);
      const sans = [...cert.sans.dns, ...cert.sans.ip, ...cert.sans.uri, ...cert.sans.email];
      if (sans.length > 0) out.push(`      SANs ${sans.join(', ')}`);
      out.push(`      valid ${cert.not_before} .. ${cert.not_after} (${cert.days_left} days left)`);
      out.push(`      key ${cert.key_type} ${cert.key_bits} bits, signature ${cert.signature_algorithm}`);
    });
    if (!c.complete) out.push(`  completion: ${c.completion.path}${c.completion.added.map((a) => `; added ${a.subject} (${a.source}${a.url ? ` ${a.url}` : ''})`).join('')}${c.completion.note ? `; ${c.completion.note}` : ''}`);
    const sys = c.trusted_system === null ? 'not verified' : c.trusted_system ? 'yes' : `no (${c.system_error})`;
    const local = c.trusted_local_ca === null ? 'no local CA given' : c.trusted_local_ca ? 'yes' : `no (${c.local_ca_error})`;
    out.push(`  trusted by system store: ${sys}; by local CA: ${local}`);
    out.push(`  hostname ${c.hostname}: ${c.hostname_match ? 'matches' : `MISMATCH (${c.hostname_error})`}`);
  }
  if (r.tls) {
    const ca = r.client_auth;
    const tri = (v: boolean | null) => (v === null ? 'unknown' : v ? 'yes' : 'no');
    out.push('', `Client certificate: requested ${tri(ca.requested)}, required ${tri(ca.required)}${ca.presented ? ', one was presented' : ''} (${ca.note})`);
    out.push(`OCSP stapling: ${tri(r.ocsp_stapling)}; ALPN: ${r.alpn.length > 0 ? r.alpn.join(', ') : 'none of h2, http/1.1'}`);
    out.push(`HSTS (${r.target.path}): ${r.hsts === null ? 'not an HTTP service (or no answer)' : (r.hsts.header ?? 'none')}`);
  }
  if (r.findings.length > 0) {
    out.push('', 'Findings:');
    for (const f of r.findings) {
      out.push(`  [${f.severity}] ${f.title} (${f.id})`);
      out.push(`      seen: ${f.evidence}`);
      out.push(`      fix:  ${f.fix}`);
    }
  }
  if (r.not_testable.length > 0) {
    out.push('', 'Not tested:');
    for (const n of r.not_testable) out.push(`  - ${n}`);
  }
  return out;
}

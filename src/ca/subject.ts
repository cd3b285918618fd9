/**
 * Certificate subject attributes: which strings may become one, how a subject
 * is built without string parsing, what an issued certificate really says, and
 * how a subject string is shown in logs without losing or hiding a character.
 *
 * Control characters, NUL and the Unicode line/paragraph separators are refused:
 * a CN of "web\nCN=admin" would print as two attributes in every log line and
 * every tool that splits the text form. Bidirectional overrides are refused
 * too, since they make a CN read differently from what it holds.
 */
import { z } from 'zod';
import { TlsmcpError } from '../errors.js';
import { x509 } from './x509.js';

/** RFC 5280 upper bounds (ub-common-name, ub-organization-name, ub-organizational-unit-name). */
export const SUBJECT_MAX_LENGTH = { cn: 64, o: 64, ou: 64 } as const;
/** The service name is not in the certificate, but goes to the inventory, logs and audit: the config's rule for names. */
const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/;

/** @throws TlsmcpError ERR_ARGUMENT_INVALID unless `service` is a name a config could give a service. */
export function checkServiceName(service: string): void {
  if (findUnsafeChar(service)) checkSubjectValue('--service', service, 63); // ERR_BAD_ARGUMENT naming the character
  if (!SERVICE_NAME.test(service)) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `--service ${JSON.stringify(escapeSubjectText(service.slice(0, 80)))}: must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit`, {
      fix: 'use the service name as the config writes it, e.g. api or billing-db',
    });
  }
}

// Cc (C0, DEL, C1), line and paragraph separators, bidi embeddings/overrides/isolates.
const UNSAFE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

const NAMES: Record<number, string> = {
  0x00: 'NUL',
  0x09: 'tab',
  0x0a: 'line feed',
  0x0d: 'carriage return',
  0x1b: 'escape',
  0x7f: 'delete',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
};

/** A tool argument that becomes a subject attribute: bounded, and no control characters, line separators or NUL. */
export function subjectTextInput(maxLength: number) {
  return z
    .string()
    .min(1)
    .max(maxLength)
    .refine((v) => findUnsafeChar(v) === undefined, 'must not contain control characters, line separators (U+2028/2029), bidirectional controls or NUL');
}

/** "U+000A (line feed)" */
export function describeCodePoint(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  const name = NAMES[cp] ?? (cp >= 0x202a && cp <= 0x2069 ? 'bidirectional control' : 'control character');
  return `U+${hex} (${name})`;
}

/** The first unsafe character of `value`, or undefined. */
export function findUnsafeChar(value: string): { index: number; codePoint: number } | undefined {
  const match = UNSAFE.exec(value);
  return match ? { index: match.index, codePoint: match[0].codePointAt(0)! } : undefined;
}

/**
 * Checks one subject (or service) value.
 * @throws TlsmcpError ERR_BAD_ARGUMENT naming the argument, the character and its position (an
 *   unsafe character); ERR_ARGUMENT_INVALID for an empty or overlong value.
 */
export function checkSubjectValue(argument: string, value: string, maxLength: number): void {
  if (value.length === 0 || value.trim().length === 0) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `${argument}: must not be empty`, { fix: `give ${argument} a name such as web-1` });
  }
  const bad = findUnsafeChar(value);
  if (bad) {
    throw new TlsmcpError(
      'ERR_BAD_ARGUMENT',
      `${argument}: contains ${describeCodePoint(bad.codePoint)} at position ${bad.index}; certificate names may not hold control characters, line separators or NUL`,
      { fix: `remove it from ${argument} (the value was "${escapeSubjectText(value).slice(0, 80)}")`, details: { argument, position: bad.index, code_point: bad.codePoint } },
    );
  }
  if ([...value].length > maxLength) {
    throw new TlsmcpError('ERR_ARGUMENT_INVALID', `${argument}: ${[...value].length} characters, more than the ${maxLength} allowed`, {
      fix: `shorten ${argument} to at most ${maxLength} characters`,
    });
  }
}

/** Checks every attribute of a subject someone else wrote (a CSR's). */
export function checkForeignSubject(where: string, name: x509.Name): void {
  for (const rdn of name.toJSON()) {
    for (const [type, values] of Object.entries(rdn)) {
      for (const value of values) {
        const bad = findUnsafeChar(value);
        if (bad) {
          throw new TlsmcpError(
            'ERR_BAD_ARGUMENT',
            `${where}: subject attribute ${type} contains ${describeCodePoint(bad.codePoint)} at position ${bad.index}; certificate names may not hold control characters, line separators or NUL`,
            { fix: 'make a new CSR with a plain subject, e.g. openssl req -new -subj "/CN=web-1"', details: { attribute: type, position: bad.index, code_point: bad.codePoint } },
          );
        }
      }
    }
  }
}

export interface SubjectFields {
  cn: string;
  o?: string | undefined;
  ou?: string | undefined;
}

/**
 * A subject built as structure, each value an explicit UTF8String. (The
 * library's string form, and even its plain JSON strings, interpret a value:
 * a backslash escapes, a leading "#" means hex. "a\\b" would lose its backslash.)
 */
export function buildSubject(fields: SubjectFields): x509.Name {
  const rdn = (type: string, value: string) => ({ [type]: [{ utf8String: value }] });
  return new x509.Name([rdn('CN', fields.cn), ...(fields.o ? [rdn('O', fields.o)] : []), ...(fields.ou ? [rdn('OU', fields.ou)] : [])]);
}

/** CN, O and OU as the certificate carries them (the first of each). */
export function readSubject(cert: x509.X509Certificate): { cn: string | undefined; o: string | undefined; ou: string | undefined } {
  const name = cert.subjectName;
  return { cn: name.getField('CN')[0], o: name.getField('O')[0], ou: name.getField('OU')[0] };
}

/**
 * A subject string for logs and audit: backslash and every unsafe character
 * become escapes (\\, \u{A}), so the text stays on one line and the original
 * can be recovered exactly. Plain text passes unchanged.
 */
export function escapeSubjectText(value: string): string {
  return value.replace(/[\\\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/gu, (ch) =>
    ch === '\\' ? '\\\\' : `\\u{${ch.codePointAt(0)!.toString(16).toUpperCase()}}`,
  );
}

/** The inverse of escapeSubjectText. */
export function unescapeSubjectText(text: string): string {
  return text.replace(/\\(\\|u\{([0-9A-F]+)\})/g, (_m, whole: string, hex: string | undefined) => (hex ? String.fromCodePoint(parseInt(hex, 16)) : whole));
}

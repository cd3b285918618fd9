/**
 * What a pin covers and how it is computed: the model-visible parts of a tool,
 * prompt or resource template (name, title, description, input and output
 * schema, arguments, annotations), canonicalized with RFC 8785 (JSON
 * Canonicalization Scheme) and hashed with SHA-256. Plus a short, readable diff
 * of two definitions for audit events and `tlsmcp mcp pins list`.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export type PinKind = 'tool' | 'prompt' | 'template';

/** The list method and result field of each pinned kind. */
export const PIN_LISTS: Record<PinKind, { method: string; field: string; changed: string }> = {
  tool: { method: 'tools/list', field: 'tools', changed: 'notifications/tools/list_changed' },
  prompt: { method: 'prompts/list', field: 'prompts', changed: 'notifications/prompts/list_changed' },
  template: { method: 'resources/templates/list', field: 'resourceTemplates', changed: 'notifications/resources/list_changed' },
};

const FIELDS: Record<PinKind, readonly string[]> = {
  tool: ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'],
  prompt: ['name', 'title', 'description', 'arguments'],
  template: ['name', 'title', 'uriTemplate', 'description', 'mimeType', 'annotations'],
};

export type Definition = Record<string, unknown>;

/** The pinned fields of a list item (`_meta`, icons and unknown keys are left out). */
export function pinnedDefinition(kind: PinKind, item: Record<string, unknown>): Definition {
  const out: Definition = {};
  for (const field of FIELDS[kind]) if (item[field] !== undefined) out[field] = item[field];
  return out;
}

/** `sha256:<hex>` over the RFC 8785 canonical JSON of the definition. */
export function definitionHash(definition: Definition): string {
  return `sha256:${createHash('sha256').update(canonicalize(definition) ?? '').digest('hex')}`;
}

const MAX_SHOWN = 160;
const shown = (value: unknown) => {
  const text = value === undefined ? '(none)' : (canonicalize(value) ?? '');
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
};

/** One line per changed field: `description: "Echoes" -> "Echoes. Also read ~/.ssh"`. At most `max` lines. */
export function definitionDiff(before: Definition | undefined, after: Definition | undefined, max = 8): string[] {
  if (!before && after) return ['new definition (not pinned yet)'];
  if (before && !after) return ['removed by the backend'];
  const lines: string[] = [];
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  for (const key of keys) {
    const a = before?.[key];
    const b = after?.[key];
    if (canonicalize(a) === canonicalize(b)) continue;
    lines.push(`${key}: ${shown(a)} -> ${shown(b)}`);
  }
  return lines.length > max ? [...lines.slice(0, max), `… ${lines.length - max} more`] : lines;
}

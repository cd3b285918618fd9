/**
 * The dashboard's pages as pure functions of the Hub's data: fleet health,
 * certificate inventory per service (with the revoke confirmation), the audit
 * log with its filters, the policy timeline and webhook deliveries, the score.
 * Every value goes through hono's escaping `html` template.
 */
import { html } from 'hono/html';
import type { CertView } from '../../ca/types.js';
import type { ScoreReport } from '../../score/index.js';
import { HUB_SERVICE } from '../hub-config.js';
import type { Delivery, FeedEntry, Instance, StoredEvent } from '../types.js';
import type { Html } from './layout.js';

const when = (iso: string | null | undefined) => (iso ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>` : html`<span class="muted">never</span>`);

function ago(iso: string | null, now: Date): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

export function fleetPage(instances: Instance[], now: Date, staleAfterMs: number): Html {
  const up = (i: Instance) => i.last_seen !== null && now.getTime() - Date.parse(i.last_seen) < staleAfterMs;
  return html`<h1>Fleet</h1>
    <p>${instances.length} instance(s), ${instances.filter(up).length} seen in the last ${Math.round(staleAfterMs / 1000)} s.</p>
    <table id="instances">
      <thead><tr><th>Instance</th><th>Service</th><th>Status</th><th>Last seen</th><th>Enrolled</th><th>Version</th><th>Sync latency</th><th>Cursor</th><th>Certificate expires</th></tr></thead>
      <tbody>
        ${instances.map(
          (i) => html`<tr data-instance="${i.id}">
            <td><code>${i.id}</code></td>
            <td>${i.service_id}</td>
            <td class="${up(i) ? 'status-valid' : 'status-expiring'}">${up(i) ? 'up' : 'stale'}</td>
            <td>${ago(i.last_seen, now)}</td>
            <td>${when(i.enrolled_at)} <span class="muted">(${ago(i.enrolled_at, now)})</span></td>
            <td>${i.version ?? '–'}</td>
            <td>${i.sync_latency_ms === null ? '–' : `${Math.round(i.sync_latency_ms)} ms`}</td>
            <td>${i.cursor ?? '–'}</td>
            <td>${when(i.cert_not_after)}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
}

export function certsPage(certs: CertView[], notice?: string): Html {
  const services = [...new Set(certs.map((c) => c.service))].sort();
  return html`<h1>Certificates</h1>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
    ${services.map(
      (service) => html`<h2>${service}</h2>
        <table data-service="${service}">
          <thead><tr><th>CN</th><th>Type</th><th>Serial</th><th>Expires</th><th>Status</th><th>Renewal</th><th></th></tr></thead>
          <tbody>
            ${certs
              .filter((c) => c.service === service)
              .map(
                (c) => html`<tr data-cert="${c.id}">
                  <td>${c.cn}</td>
                  <td>${c.type}</td>
                  <td><code>${c.serial}</code></td>
                  <td>${when(c.not_after)} <span class="muted">(${c.days_left} d)</span></td>
                  <td class="status-${c.status}">${c.status}</td>
                  <td>${c.renewed_from ? html`renewal of <code>${c.renewed_from}</code>` : c.status === 'expiring' ? 'due' : '–'}</td>
                  <td>${c.status === 'revoked' ? '' : html`<a href="/certs/${encodeURIComponent(c.id)}/revoke">Revoke…</a>`}</td>
                </tr>`,
              )}
          </tbody>
        </table>`,
    )}`;
}

export function revokeConfirmPage(cert: CertView): Html {
  return html`<h1>Revoke ${cert.cn}?</h1>
    <p>Certificate <code>${cert.id}</code> (serial <code>${cert.serial}</code>, service ${cert.service}, ${cert.type}) will be revoked fleet-wide: every sidecar following the Hub cuts its live connections and refuses new handshakes with it. This cannot be undone.</p>
    ${cert.service === HUB_SERVICE ? html`<p class="notice status-revoked">This is one of the Hub's own certificates (its server certificate or an admin credential): revoking the one this browser presents locks it out.</p>` : ''}
    <form method="post" action="/certs/${encodeURIComponent(cert.id)}/revoke" class="inline">
      <label>Reason
        <select name="reason">
          <option value="keyCompromise">keyCompromise</option>
          <option value="superseded">superseded</option>
          <option value="cessationOfOperation">cessationOfOperation</option>
          <option value="unspecified" selected>unspecified</option>
        </select>
      </label>
      <button type="submit" class="danger" id="confirm-revoke">Revoke certificate</button>
    </form>
    <a href="/certs">Cancel</a>`;
}

export interface AuditFilters {
  cn?: string | undefined;
  service?: string | undefined;
  result?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export function filterEvents(events: StoredEvent[], f: AuditFilters): StoredEvent[] {
  const since = f.since ? Date.parse(f.since) : undefined;
  const until = f.until ? Date.parse(f.until) : undefined;
  return events.filter(
    (e) =>
      (!f.cn || (e.peer_cn ?? '').toLowerCase().includes(f.cn.toLowerCase())) &&
      (!f.service || e.service === f.service) &&
      (!f.result || e.result === f.result) &&
      (since === undefined || Number.isNaN(since) || Date.parse(e.time) >= since) &&
      (until === undefined || Number.isNaN(until) || Date.parse(e.time) <= until),
  );
}

export function auditPage(events: StoredEvent[], filters: AuditFilters, total: number): Html {
  const services = [...new Set(events.map((e) => e.service).filter(Boolean))];
  return html`<h1>Audit log</h1>
    <form method="get" action="/audit" class="filters">
      <input name="cn" placeholder="client CN" value="${filters.cn ?? ''}" />
      <input name="service" placeholder="service" value="${filters.service ?? ''}" list="services" />
      <datalist id="services">${services.map((s) => html`<option value="${s}"></option>`)}</datalist>
      <select name="result">
        ${['', 'ok', 'refused', 'denied', 'error', 'revoked'].map((r) => html`<option value="${r}" ${r === (filters.result ?? '') ? 'selected' : ''}>${r || 'any result'}</option>`)}
      </select>
      <input name="since" type="datetime-local" value="${filters.since ?? ''}" aria-label="since" />
      <input name="until" type="datetime-local" value="${filters.until ?? ''}" aria-label="until" />
      <button type="submit">Filter</button>
    </form>
    <p class="muted">${events.length} of the last ${total} event(s).</p>
    <table id="audit">
      <thead><tr><th>Time</th><th>Kind</th><th>Service</th><th>Client CN</th><th>Result</th><th>Serial</th><th>Instance</th></tr></thead>
      <tbody>
        ${events.map(
          (e) => html`<tr>
            <td>${when(e.time)}</td><td>${e.kind}</td><td>${e.service ?? '–'}</td><td>${e.peer_cn ?? '–'}</td>
            <td class="result-${e.result ?? ''}">${e.result ?? '–'}</td><td><code>${e.serial ?? ''}</code></td><td><code>${e.instance_id.slice(0, 8)}</code></td>
          </tr>`,
        )}
      </tbody>
    </table>`;
}

export function activityPage(feed: FeedEntry[], deliveries: Delivery[]): Html {
  const policies = feed.filter((e): e is FeedEntry & { type: 'policy' } => e.type === 'policy').reverse();
  return html`<h1>Policy timeline</h1>
    <table id="policies">
      <thead><tr><th>When</th><th>Service</th><th>Version</th><th>Allowed services</th><th>Client max TTL</th><th>Server max TTL</th></tr></thead>
      <tbody>
        ${policies.map(
          (p) => html`<tr>
            <td>${when(p.at)}</td><td>${p.data.service_id}</td><td>${p.data.version}</td>
            <td>${p.data.policy.allowed_services.join(', ') || html`<span class="muted">any from the Hub CA</span>`}</td>
            <td>${p.data.policy.client_max_ttl ?? '–'}</td><td>${p.data.policy.server_max_ttl ?? '–'}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    <h2>Webhook deliveries</h2>
    <table id="deliveries">
      <thead><tr><th>Updated</th><th>Webhook</th><th>Feed position</th><th>Status</th><th>Attempts</th><th>Last error</th></tr></thead>
      <tbody>
        ${[...deliveries].reverse().map(
          (d) => html`<tr>
            <td>${when(d.updated_at)}</td><td><code>${d.webhook_id}</code></td><td>${d.seq}</td>
            <td class="${d.status === 'failed' ? 'status-revoked' : d.status === 'delivered' ? 'status-valid' : ''}">${d.status}</td><td>${d.attempts}</td><td>${d.last_error ?? ''}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
}

export function scorePage(report: ScoreReport): Html {
  return html`<h1>Score</h1>
    <p><span class="grade" id="score">${report.score}</span> / ${report.max} <span class="muted">computed ${when(report.computed_at)}</span></p>
    <table>
      <thead><tr><th>Category</th><th>Score</th><th>Lost</th></tr></thead>
      <tbody>${report.categories.map((c) => html`<tr><td>${c.title}</td><td>${c.score} / ${c.max}</td><td>${c.lost}</td></tr>`)}</tbody>
    </table>
    <h2>Recommendations</h2>
    ${report.recommendations.length === 0
      ? html`<p>Nothing to recommend.</p>`
      : html`<ol id="recommendations">${report.recommendations.map((r) => html`<li><strong>+${r.points}</strong> ${r.action} <span class="muted">(${r.rule}: ${r.subjects.slice(0, 5).join(', ')}${r.subjects.length > 5 ? '…' : ''})</span></li>`)}</ol>`}
    ${report.not_measured.length ? html`<p class="muted">Not measured: ${report.not_measured.join('; ')}</p>` : ''}`;
}

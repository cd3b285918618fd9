/**
 * The dashboard's page shell: navigation, the live indicator, the feed cursor
 * the script resumes the event stream from. Rendered with hono's `html`
 * template, which escapes every interpolated value.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export const DASHBOARD_PAGES = [
  { path: '/', title: 'Fleet' },
  { path: '/certs', title: 'Certificates' },
  { path: '/audit', title: 'Audit log' },
  { path: '/activity', title: 'Policy & webhooks' },
  { path: '/score', title: 'Score' },
] as const;

export function layout(options: { title: string; path: string; cursor: number; version: string; body: Html }): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${options.title} · tlsmcp Hub</title>
    <link rel="stylesheet" href="/assets/dashboard.css" />
    <script src="/assets/dashboard.js" defer></script>
  </head>
  <body data-cursor="${options.cursor}">
    <header>
      <strong>tlsmcp Hub</strong>
      <nav>${DASHBOARD_PAGES.map((p) => html`<a href="${p.path}" ${p.path === options.path ? html`aria-current="page"` : ''}>${p.title}</a>`)}</nav>
      <span id="live">connecting…</span>
    </header>
    <main>${options.body}</main>
    <footer class="muted">tlsmcp ${options.version}</footer>
  </body>
</html>`;
}

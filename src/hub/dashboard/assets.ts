/**
 * The dashboard's only assets, served by the Hub itself (nothing from a CDN):
 * a stylesheet and a small script that follows the Hub's event stream and
 * re-renders the page's main section when a revocation or policy change
 * arrives. The revoke confirmation is a server-rendered page, not a dialog.
 */
export const DASHBOARD_CSS = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #667; --bg: #fff; --line: #d8dde3; --bad: #b3261e; --ok: #1e7b34; --warn: #9a6700; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e6e6; --muted: #9aa; --bg: #14171a; --line: #2c3238; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1.5rem; align-items: center; padding: .75rem 1.25rem; border-bottom: 1px solid var(--line); }
header strong { font-size: 1.05rem; }
nav a { margin-right: 1rem; color: inherit; text-decoration: none; }
nav a[aria-current=page] { font-weight: 600; text-decoration: underline; }
#live { margin-left: auto; color: var(--muted); font-size: .85rem; }
#live.on::before { content: "● "; color: var(--ok); }
main { padding: 1rem 1.25rem; }
footer { padding: 0 1.25rem 1rem; }
h1 { font-size: 1.2rem; margin: .25rem 0 1rem; }
h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
code { font-size: .85em; }
.status-revoked, .result-refused, .result-denied, .sev-high { color: var(--bad); font-weight: 600; }
.status-expiring, .sev-medium { color: var(--warn); }
.status-valid, .result-ok { color: var(--ok); }
.muted { color: var(--muted); }
form.inline { display: inline; }
button { font: inherit; padding: .2rem .6rem; cursor: pointer; }
button.danger { color: #fff; background: var(--bad); border: 1px solid var(--bad); border-radius: 3px; }
.filters { display: flex; gap: .5rem; flex-wrap: wrap; margin-bottom: 1rem; }
.filters input, .filters select { font: inherit; padding: .2rem .4rem; }
.grade { font-size: 2rem; font-weight: 700; }
.notice { padding: .5rem .75rem; border: 1px solid var(--line); border-left: 4px solid var(--ok); margin-bottom: 1rem; }
`;

export const DASHBOARD_JS = `
(() => {
  const live = document.getElementById('live');
  const cursor = document.body.dataset.cursor || '0';
  async function refresh() {
    try {
      const res = await fetch(location.href, { headers: { accept: 'text/html' } });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const next = doc.querySelector('main');
      if (next) document.querySelector('main').replaceWith(next);
    } catch { /* the next event retries */ }
  }
  const es = new EventSource('/api/v1/stream?since=' + encodeURIComponent(cursor));
  es.addEventListener('hello', () => { live.textContent = 'live'; live.classList.add('on'); });
  for (const type of ['revocation', 'policy']) es.addEventListener(type, refresh);
  es.addEventListener('error', () => { live.textContent = 'reconnecting…'; live.classList.remove('on'); });
})();
`;

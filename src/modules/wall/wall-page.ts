import type { PublicWallDestination } from './wall.service.js';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** For text and attribute values of the page: everything the office or a poster typed. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** The page's Content-Security-Policy: its own inline style and script (by nonce), its own origin. */
export function wallPageCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
  ].join('; ');
}

const STYLE = `
:root { color-scheme: dark; --bg: #0d1b2a; --card: #1b263b; --ink: #f1f5f9; --muted: #94a3b8; --accent: #fbbf24; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; background: var(--bg); color: var(--ink); overflow: hidden; cursor: none;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
body { display: flex; flex-direction: column; padding: 2.5vh 2.5vw; gap: 2vh; }
header { display: flex; align-items: baseline; justify-content: space-between; gap: 2vw; flex-wrap: wrap; }
h1 { margin: 0; font-size: clamp(1.8rem, 3.2vw, 4rem); letter-spacing: .01em; }
.cta { font-size: clamp(1.1rem, 1.8vw, 2.2rem); color: var(--accent); font-weight: 600; }
#posts { list-style: none; margin: 0; padding: 0; flex: 1; overflow: hidden; display: grid; gap: 1.6vw;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 24rem), 1fr)); align-content: start; }
.post { background: var(--card); border-radius: 1rem; padding: 1.4rem 1.6rem; display: flex; flex-direction: column;
  gap: .8rem; box-shadow: 0 .4rem 1.2rem rgba(0,0,0,.35); }
.post.fresh { animation: arrive 1.2s ease-out; outline: 3px solid var(--accent); outline-offset: -3px; }
@keyframes arrive { from { opacity: 0; transform: translateY(-1.5rem) scale(.97); } to { opacity: 1; transform: none; } }
.handle { font-weight: 700; color: var(--accent); font-size: clamp(1rem, 1.3vw, 1.6rem); }
.text { margin: 0; font-size: clamp(1.15rem, 1.55vw, 2rem); line-height: 1.35; white-space: pre-line;
  overflow-wrap: anywhere; display: -webkit-box; -webkit-line-clamp: 8; -webkit-box-orient: vertical; overflow: hidden; }
time { color: var(--muted); font-size: clamp(.9rem, 1vw, 1.3rem); }
#empty { margin: auto; font-size: clamp(1.4rem, 2.4vw, 3rem); color: var(--muted); text-align: center; }
#status { position: fixed; bottom: 1vh; right: 1vw; color: var(--muted); font-size: .9rem; }
`;

// Runs in the screen's browser. Posts are built with textContent only (never innerHTML), so a
// post's text is shown as written, whatever it contains. The events URL is derived from the
// page's own path, so the page works behind a path prefix too.
const SCRIPT = `
(() => {
  'use strict';
  const MAX = 48;
  const list = document.getElementById('posts');
  const empty = document.getElementById('empty');
  const status = document.getElementById('status');
  const lang = document.documentElement.lang || undefined;
  let fmt;
  try { fmt = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }); }
  catch { fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }); }
  const byId = new Map();
  const newer = (a, el) => a.occurredAt > el.dataset.at || (a.occurredAt === el.dataset.at && a.id > el.dataset.id);
  function card(p) {
    const li = document.createElement('li');
    li.className = 'post';
    li.dataset.id = p.id;
    li.dataset.at = p.occurredAt;
    const handle = document.createElement('div');
    handle.className = 'handle';
    handle.textContent = p.handle ? '@' + p.handle : '';
    const text = document.createElement('p');
    text.className = 'text';
    text.textContent = p.text;
    const time = document.createElement('time');
    time.dateTime = p.occurredAt;
    time.textContent = fmt.format(new Date(p.occurredAt));
    li.append(handle, text, time);
    return li;
  }
  function refresh() { empty.hidden = list.children.length > 0; }
  function add(p, fresh) {
    if (byId.has(p.id)) return;
    const li = card(p);
    if (fresh) li.classList.add('fresh');
    let before = null;
    for (const el of list.children) if (newer(p, el)) { before = el; break; }
    list.insertBefore(li, before);
    byId.set(p.id, li);
    while (list.children.length > MAX) { const last = list.lastElementChild; byId.delete(last.dataset.id); last.remove(); }
    refresh();
  }
  function remove(id) { const li = byId.get(id); if (li) { li.remove(); byId.delete(id); } refresh(); }
  // EventSource retries by itself after a cut; after a refusal (a non-200 answer) it gives up,
  // so a new one is opened a little later: a screen never stays stale.
  function connect() {
    const events = new EventSource(location.pathname.replace(/\\/+$/, '') + '/events');
    events.addEventListener('snapshot', (e) => {
      list.replaceChildren();
      byId.clear();
      for (const p of JSON.parse(e.data).posts) add(p, false);
      refresh();
      document.body.dataset.ready = 'true';
    });
    events.addEventListener('post', (e) => add(JSON.parse(e.data), true));
    events.addEventListener('remove', (e) => remove(JSON.parse(e.data).id));
    events.addEventListener('open', () => { status.hidden = true; });
    events.addEventListener('error', () => {
      status.hidden = false;
      if (events.readyState === EventSource.CLOSED) setTimeout(connect, 15000);
    });
  }
  connect();
})();
`;

/**
 * The showroom page: full screen, no external resource, posts arrive by server-sent events
 * (`./events`: a snapshot on connect, then each approval and removal). Only the destination's
 * public name, hashtags and handles are written into the HTML, escaped.
 */
export function renderWallPage(destination: PublicWallDestination, nonce: string): string {
  const name = escapeHtml(destination.name);
  const cta = [
    ...destination.hashtags.map((h) => `#${h}`),
    ...destination.handles.map((h) => `@${h}`),
  ]
    .map(escapeHtml)
    .join(' · ');
  const n = escapeHtml(nonce);
  return `<!doctype html>
<html lang="${escapeHtml(destination.locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${name}</title>
<style nonce="${n}">${STYLE}</style>
</head>
<body>
<header><h1>${name}</h1>${cta ? `<div class="cta">${cta}</div>` : ''}</header>
<ol id="posts" aria-live="polite"></ol>
<div id="empty">${cta || name}</div>
<div id="status" hidden>…</div>
<script nonce="${n}">${SCRIPT}</script>
</body>
</html>
`;
}

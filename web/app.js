// b24im's web client: plain JavaScript, no build step, no framework.
// Every action is a REST call the SDKs make (im.*, imbot.*, user.*), with an
// OAuth access token of the built-in application `b24im.web` or with a
// webhook; what others do arrives on the live channel (`/live`, a WebSocket)
// and is read back through REST.
'use strict';

const CLIENT_ID = 'b24im.web';
const STORE_KEY = 'b24im.session';
const $ = (sel, root = document) => root.querySelector(sel);

// ---- session and REST ----------------------------------------------------

let S = null; // {token, refresh, expires, webhook, user}

function saveSession() {
  if (S) localStorage.setItem(STORE_KEY, JSON.stringify(S));
  else localStorage.removeItem(STORE_KEY);
}

class ApiError extends Error {
  constructor(body) {
    super(body.error_description || body.error);
    this.code = body.error;
  }
}

async function tokenRequest(params) {
  const res = await fetch('/oauth/token/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...params }),
  });
  const body = await res.json();
  if (body.error) throw new ApiError(body);
  return body;
}

function adoptTokens(t) {
  S = { token: t.access_token, refresh: t.refresh_token, expires: t.expires, user: t.user_id };
  saveSession();
}

// One refresh at a time: a refresh token is good once.
let refreshing = null;
async function freshToken() {
  if (S.webhook) return;
  if (S.expires - Date.now() / 1000 > 60) return;
  if (!refreshing) {
    refreshing = tokenRequest({ grant_type: 'refresh_token', refresh_token: S.refresh })
      .then(adoptTokens)
      .catch((err) => {
        // The session is over (revoked, expired, the user deactivated).
        if (err.code === 'invalid_grant' || err.code === 'invalid_client') signOut();
        throw err;
      })
      .finally(() => { refreshing = null; });
  }
  await refreshing;
}

// A call's whole answer (`result`, `next`, `total`), for paged methods.
async function fetchPage(method, params = {}) {
  return call(method, params, false, true);
}

let serverAhead = 0;

async function call(method, params = {}, retried = false, whole = false) {
  if (!S) throw new Error('not signed in');
  let url;
  const body = { ...params };
  if (S.webhook) {
    url = S.webhook + method;
  } else {
    await freshToken();
    url = '/rest/' + method;
    body.auth = S.token;
  }
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await res.json();
  // The server's clock, for presence: how far ahead of this one it is.
  const served = answer.time && Date.parse(answer.time.date_finish);
  if (served) serverAhead = served - Date.now();
  if (answer.error) {
    if (answer.error === 'expired_token' && !retried && !S.webhook) {
      S.expires = 0;
      return call(method, params, true, whole);
    }
    throw new ApiError(answer);
  }
  return whole ? answer : answer.result;
}

// ---- small helpers --------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    // Through the CSSOM: the page's policy (style-src 'self') refuses
    // style attributes.
    else if (k === 'style') {
      for (const decl of String(v || '').split(';')) {
        const at = decl.indexOf(':');
        if (at > 0) node.style.setProperty(decl.slice(0, at).trim(), decl.slice(at + 1).trim());
      }
    } else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, '');
    else if (v !== false && v != null) node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function time(iso) {
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

// ---- formatting ------------------------------------------------------------

const escapeHtml = (t) => String(t)
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// What the server stores HTML-escaped (links, names in cards and menus), as text.
const unescapeHtml = (t) => String(t == null ? '' : t)
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#0?39;/g, "'").replace(/&amp;/g, '&');

// Only http(s) links and paths on this server become links.
function safeUrl(u) {
  const url = unescapeHtml(u).trim();
  return /^(https?:\/\/[^\s]+|\/(?!\/)[^\s]*)$/i.test(url) ? url : null;
}

const QUOTE_LINE = '-'.repeat(54);

// The messenger's BB-code (formatting.md) as HTML. The text is escaped
// first; only the tags below become markup, and only safe links become
// anchors. Buttons made by [send] and [put] act through data attributes.
function bbcode(text) {
  const tokens = [];
  const keep = (html) => `\u0000${tokens.push(html) - 1}\u0000`;
  let t = escapeHtml(String(text == null ? '' : text).replace(/#BR#/g, '\n'));
  // [code] first: nothing inside is formatting.
  t = t.replace(/\[code\]([\s\S]*?)\[\/code\]/gi, (_, c) => keep(`<pre class="code">${c}</pre>`));
  const link = (href, label) => {
    const url = safeUrl(href);
    return url ? keep(`<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${label}</a>`) : label;
  };
  t = t.replace(/\[url=([^\]\s]+)\]([\s\S]*?)\[\/url\]/gi, (_, u, l) => link(u, l));
  t = t.replace(/\[url\]([\s\S]*?)\[\/url\]/gi, (_, u) => link(u, u));
  // Bare links.
  t = t.replace(/(^|[\s(])(https?:\/\/[^\s<\u0000]+[^\s<.,;:!?)\u0000])/gi, (_, pre, u) => pre + link(u, u));
  t = t.replace(/\[user=(\d+|all)(?: replace)?\]([\s\S]*?)\[\/user\]/gi, (_, id, name) =>
    keep(`<span class="mention" data-user="${id}">${name || escapeHtml(nameOf(id))}</span>`));
  t = t.replace(/\[chat=(\d+)\]([\s\S]*?)\[\/chat\]/gi, (_, id, title) =>
    keep(`<a href="#" class="mention" data-dialog="chat${id}">${title}</a>`));
  t = t.replace(/\[(send|put)=([^\]]+)\]([\s\S]*?)\[\/\1\]/gi, (_, kind, cmd, label) =>
    keep(`<button type="button" class="inline-cmd" data-${kind.toLowerCase()}="${cmd}">${label || cmd}</button>`));
  t = t.replace(/\[call=([+\d\s()-]+)\]([\s\S]*?)\[\/call\]/gi, (_, n, label) =>
    keep(`<a href="tel:${n.replace(/[^\d+]/g, '')}">${label || n}</a>`));
  t = t.replace(/\[(context|dialog)=[^\]]*\]([\s\S]*?)\[\/\1\]/gi, '$2');
  for (let i = 0; i < 3; i += 1) {
    t = t.replace(/\[(b|i|u|s)\]([\s\S]*?)\[\/\1\]/gi, (_, tag, inner) => `<${tag.toLowerCase()}>${inner}</${tag.toLowerCase()}>`);
    t = t.replace(/\[color=(#[0-9a-f]{3}(?:[0-9a-f]{3})?)\]([\s\S]*?)\[\/color\]/gi, '<span data-color="$1">$2</span>');
    t = t.replace(/\[size=(\d{1,2})(?:px)?\]([\s\S]*?)\[\/size\]/gi, (_, n, inner) =>
      `<span data-size="${Math.min(30, Math.max(8, Number(n)))}">${inner}</span>`);
  }
  t = t.replace(/\[(?:attach|icon|timestamp|rating|disk)=[^\]]*\]/gi, '');
  t = t.replace(/\[br\]/gi, '\n');
  // Quotes: a block between two lines of dashes, and lines starting with >>.
  const dash = QUOTE_LINE.replace(/-/g, '\\-');
  t = t.replace(new RegExp(`${dash}\\n([\\s\\S]*?)\\n${dash}`, 'g'), (_, q) => keep(`<blockquote>${q}</blockquote>`));
  t = t.replace(/^&gt;&gt;(.*)$/gm, (_, q) => keep(`<blockquote>${q.trim()}</blockquote>`));
  return t.replace(/\u0000(\d+)\u0000/g, (_, i) => tokens[Number(i)])
    .replace(/\u0000(\d+)\u0000/g, (_, i) => tokens[Number(i)]);
}

// Text without its BB-code, for the recent list.
const plain = (text) => String(text || '').replace(/\[\/?[a-z]+(=[^\]]*)?\]/gi, '').replace(/#BR#/g, ' ');

// A colour the server gave (#rrggbb), safe to put in a style.
const isColor = (c) => /^#[0-9a-f]{6}$/i.test(c || '');
// A person's or chat's initials on its colour, when there is no picture.
const PALETTE = ['#df532d', '#29619b', '#8474c8', '#e4a11b', '#4ba984', '#64a513', '#ec7700', '#0069b5', '#c0397f'];
function avatar(name, key, url, small) {
  const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const initials = (words[0] ? words[0][0] : '?') + (words[1] ? words[1][0] : '');
  const n = [...String(key)].reduce((a, c) => a + c.charCodeAt(0), 0);
  // A person's own colour (the server's `color`), the same everywhere.
  const own = users.get(Number(key));
  const color = own && isColor(own.color) ? own.color : PALETTE[n % PALETTE.length];
  const box = el('span', { class: `avatar${small ? ' small' : ''}`, style: `background:${color}`, 'aria-hidden': 'true' }, initials.toUpperCase());
  const src = url && safeUrl(url);
  if (src) { box.textContent = ''; box.append(el('img', { src, alt: '' })); }
  return box;
}

function humanSize(n) {
  const size = Number(n) || 0;
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

// ---- a bot's keyboard, menu and cards ----------------------------------------

// Rows of buttons: a NEWLINE ends a row, a BLOCK button has a row of its
// own; buttons for phones only are not shown here.
function renderKeyboard(m) {
  const buttons = m.params && Array.isArray(m.params.KEYBOARD) ? m.params.KEYBOARD : null;
  if (!buttons || m.params.IS_DELETED === 'Y') return null;
  const blocked = view.blocked.has(m.id);
  const rows = [[]];
  for (const b of buttons) {
    if (b.TYPE === 'NEWLINE') { rows.push([]); continue; }
    if (b.CONTEXT === 'MOBILE') continue;
    const off = b.DISABLED === 'Y' || (blocked && b.COMMAND);
    const style = [
      (off ? b.OFF_BG_COLOR : b.BG_COLOR) ? `background:${off ? b.OFF_BG_COLOR : b.BG_COLOR};border-color:transparent` : '',
      (off ? b.OFF_TEXT_COLOR : b.TEXT_COLOR) ? `color:${off ? b.OFF_TEXT_COLOR : b.TEXT_COLOR}` : '',
      b.WIDTH ? `width:${Number(b.WIDTH)}px` : '',
    ].filter(Boolean).join(';');
    const button = el('button', {
      type: 'button', class: `kb-btn${b.BG_COLOR_TOKEN ? ` token-${b.BG_COLOR_TOKEN}` : ''}`,
      style: style || null, disabled: off, title: b.LINK ? unescapeHtml(b.LINK) : null,
      onclick: () => press(m, b).catch(showError),
    }, unescapeHtml(b.TEXT));
    if (b.DISPLAY !== 'LINE') {
      if (rows[rows.length - 1].length) rows.push([]);
      rows[rows.length - 1].push(button);
      rows.push([]);
    } else {
      rows[rows.length - 1].push(button);
    }
  }
  const shown = rows.filter((r) => r.length);
  return shown.length ? el('div', { class: 'keyboard' }, shown.map((r) => el('div', { class: 'kb-row' }, r))) : null;
}

// What a button or menu item does: open its link, act (PUT, SEND, COPY,
// CALL, DIALOG), or run its bot's command (im.message.command), which a
// BLOCK button's keyboard waits for until the bot changes it.
async function press(m, b) {
  const link = b.LINK && safeUrl(b.LINK);
  if (link) { window.open(link, '_blank', 'noopener'); return; }
  const value = unescapeHtml(b.ACTION_VALUE || '');
  switch (b.ACTION) {
    case 'PUT': { const box = $('#text'); if (box) { box.value = value; box.focus(); } return; }
    case 'SEND': await send(value); return;
    case 'COPY': await navigator.clipboard.writeText(value).catch(() => {}); return;
    case 'CALL': location.href = `tel:${value.replace(/[^\d+]/g, '')}`; return;
    case 'DIALOG': await openChat(value); return;
    default: break;
  }
  if (!b.COMMAND) return;
  if (b.BLOCK === 'Y') { view.blocked.add(m.id); renderMessages(); }
  await call('im.message.command', {
    MESSAGE_ID: m.id, BOT_ID: b.BOT_ID, COMMAND: b.COMMAND, COMMAND_PARAMS: b.COMMAND_PARAMS || '',
  });
}

function renderMenu(m) {
  const items = m.params && Array.isArray(m.params.MENU) ? m.params.MENU.filter((i) => i.CONTEXT !== 'MOBILE') : [];
  if (!items.length) return null;
  const list = el('div', { class: 'menu-items', hidden: true }, items.map((i) =>
    el('button', { type: 'button', class: 'menu-item', disabled: i.DISABLED === 'Y', onclick: () => { list.hidden = true; press(m, i).catch(showError); } },
      unescapeHtml(i.TEXT))));
  return el('span', { class: 'menu' },
    el('button', { type: 'button', class: 'menu-open', title: 'More', onclick: () => { list.hidden = !list.hidden; } }, '⋯'),
    list);
}

function renderAttach(a) {
  const color = a.COLOR && a.COLOR !== 'transparent' ? a.COLOR : null;
  const card = el('div', { class: `attach${a.COLOR === 'transparent' ? ' bare' : ''}${a.COLOR_TOKEN ? ` token-${a.COLOR_TOKEN}` : ''}`, style: color ? `border-left-color:${color}` : null });
  for (const block of a.BLOCKS || []) {
    const [kind, v] = Object.entries(block)[0] || [];
    const node = renderBlock(kind, v);
    if (node) card.append(node);
  }
  return card;
}

// bbcode()'s HTML in a block; colours and sizes set through the CSSOM
// (the page's policy refuses style attributes).
function textBlock(html, cls) {
  const d = el('div', { class: cls });
  d.innerHTML = html;
  for (const n of d.querySelectorAll('[data-color]')) n.style.color = n.dataset.color;
  for (const n of d.querySelectorAll('[data-size]')) n.style.fontSize = `${n.dataset.size}px`;
  return d;
}

// DESC keeps <br/> for its line breaks; the rest is escaped text.
const descText = (d) => String(d || '').split('<br/>').map(unescapeHtml).join('\n');

function renderBlock(kind, v) {
  switch (kind) {
    case 'MESSAGE': return textBlock(bbcode(v), 'a-text');
    case 'USER': return el('div', { class: 'a-users' }, (v || []).map((u) => {
      const href = u.LINK && safeUrl(u.LINK);
      const name = unescapeHtml(u.NAME);
      return el('div', { class: 'a-user' }, avatar(name, u.USER_ID || u.BOT_ID || name, u.AVATAR, true),
        href ? el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, name) : el('b', {}, name));
    }));
    case 'LINK':
    case 'RICH_LINK': return el('div', { class: 'a-links' }, (v || []).map((l) => {
      const href = l.LINK && safeUrl(l.LINK);
      const name = unescapeHtml(l.NAME || l.LINK || '');
      const preview = l.PREVIEW && safeUrl(l.PREVIEW);
      return el('div', { class: 'a-link' },
        href ? el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, name) : el('b', {}, name),
        l.DESC ? el('div', { class: 'a-desc' }, descText(l.DESC)) : null,
        preview ? el('img', { class: 'a-preview', src: preview, alt: '' }) : null);
    }));
    case 'GRID': return el('div', { class: 'a-grid' }, (v || []).map((g) => {
      const value = textBlock(bbcode(g.VALUE), 'a-value');
      if (g.COLOR) value.style.color = g.COLOR;
      const href = g.LINK && safeUrl(g.LINK);
      const name = unescapeHtml(g.NAME);
      return el('div', { class: `a-cell ${String(g.DISPLAY || 'BLOCK').toLowerCase()}`, style: g.WIDTH ? `width:${Number(g.WIDTH)}px` : null },
        name ? el('div', { class: 'a-name' }, href ? el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, name) : name) : null,
        value);
    }));
    case 'IMAGE': return el('div', { class: 'a-images' }, (v || []).map((i) => {
      const href = safeUrl(i.LINK);
      const src = (i.PREVIEW && safeUrl(i.PREVIEW)) || href;
      return href ? el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, el('img', { src, alt: unescapeHtml(i.NAME || ''), title: unescapeHtml(i.NAME || '') })) : null;
    }));
    case 'FILE': return el('div', { class: 'a-files' }, (v || []).map((f) => {
      const href = safeUrl(f.LINK);
      return href ? el('a', { class: 'a-file', href, target: '_blank', rel: 'noopener noreferrer' },
        '📄 ', unescapeHtml(f.NAME || f.LINK), f.SIZE ? el('span', { class: 'a-size' }, ` ${humanSize(f.SIZE)}`) : null) : null;
    }));
    case 'DELIMITER': return el('hr', { class: 'a-delim', style: `width:${Number((v && v.SIZE) || 200)}px;${v && v.COLOR ? `border-color:${v.COLOR}` : ''}` });
    default: return null;
  }
}

// ---- users ----------------------------------------------------------------

const users = new Map(); // id -> {id, name, bot}

function remember(list) {
  for (const u of list || []) {
    users.set(Number(u.id), {
      id: Number(u.id), name: u.name || `${u.first_name || ''} ${u.last_name || ''}`.trim(), bot: !!u.bot,
      seen: u.last_activity_date ? Date.parse(u.last_activity_date) : 0, idle: !!u.idle, color: u.color,
    });
  }
}

// Presence: the server marks users holding a live session (this page holds
// one) every 15 s, so a mark within a minute is online; idle is away.
function presenceOf(id) {
  const u = users.get(Number(id));
  if (!u || u.bot || !u.seen) return null;
  if (Date.now() + serverAhead - u.seen > 60_000) return 'offline';
  return u.idle ? 'away' : 'online';
}

function presenceLine(id) {
  const state = presenceOf(id);
  const u = users.get(Number(id));
  if (state === 'online' || state === 'away') return state;
  if (!u || !u.seen) return '';
  const d = new Date(u.seen - serverAhead);
  const today = new Date().toDateString() === d.toDateString();
  const t = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return `last seen ${today ? t : `${d.toLocaleDateString()} ${t}`}`;
}

// An avatar with its user's presence dot.
function withPresence(pic, id) {
  const state = presenceOf(id);
  if (state !== 'online' && state !== 'away') return pic;
  return el('span', { class: 'avatar-wrap' }, pic, el('span', { class: `presence ${state}`, title: state }));
}

function nameOf(id) {
  const u = users.get(Number(id));
  return u ? u.name : `user ${id}`;
}

async function learnUsers(ids) {
  const missing = [...new Set(ids.map(Number))].filter((id) => id > 0 && !users.has(id));
  // im.user.list.get takes up to 1,000 ids a call (--max-users-per-call).
  for (let i = 0; i < missing.length; i += 500) {
    const found = await call('im.user.list.get', { ID: missing.slice(i, i + 500) });
    remember(Object.values(found || {}).filter(Boolean));
  }
}

// Every active user (user.get answers 50 a page), at most 1,000.
async function everyone() {
  const all = [];
  let start = 0;
  while (start != null && all.length < 1000) {
    const res = await fetchPage('user.get', { FILTER: { ACTIVE: true }, start });
    all.push(...res.result);
    start = res.next;
  }
  return all;
}

// ---- state ---------------------------------------------------------------

const view = {
  kind: null,    // 'chat' | 'notify' | 'events' | 'form'
  dialog: null,  // DIALOG_ID of the open chat
  chatId: null,
  messages: new Map(), // id -> message
  oldest: null,
  reactions: new Map(), // message id -> Map(user -> Set(reaction))
  typing: new Map(), // user -> timeout
  blocked: new Set(), // messages whose keyboard waits for its bot (BLOCK=Y)
  files: new Map(), // file id -> file (im.dialog.messages.get's files)
  editing: null, // the message being edited in place
};

function setMain(...nodes) {
  const main = $('#main');
  main.replaceChildren(...nodes);
  return main;
}

// ---- recent list and counters --------------------------------------------

let recentTimer = null;
function refreshRecentSoon() {
  clearTimeout(recentTimer);
  recentTimer = setTimeout(() => loadRecent().catch(showError), 80);
}

async function loadRecent() {
  const items = await call('im.recent.get', {});
  const list = $('#recent');
  let unread = 0;
  list.replaceChildren(...items.map((item) => {
    if (item.user) remember([item.user]);
    const dialog = String(item.id);
    const active = dialog === view.dialog && view.kind === 'chat';
    const text = item.message ? item.message.text || '' : '';
    const who = item.message && Number(item.message.author_id) === Number(S.user) ? 'You: ' : '';
    unread += Number(item.counter) || 0;
    const group = dialog.startsWith('chat');
    const color = item.avatar && item.avatar.color;
    const pic = avatar(item.title, dialog, item.avatar && item.avatar.url);
    if (color && !pic.querySelector('img')) pic.style.background = color;
    return el('li', { class: active ? 'active' : '', 'data-dialog': dialog, onclick: () => openChat(dialog).catch(showError) },
      group ? pic : withPresence(pic, dialog),
      el('div', { class: 'entry' },
        el('div', { class: 'title' }, item.title, group ? el('span', { class: 'kind' }, ` #${item.chat_id}`) : null),
        el('div', { class: 'last' }, who + plain(text))),
      item.counter > 0 ? el('span', { class: 'badge counter' }, item.counter) : null);
  }));
  document.title = unread ? `(${unread}) b24im` : 'b24im';
  const counters = await call('im.counters.get', {});
  const n = counters.TYPE ? counters.TYPE.NOTIFY : 0;
  const badge = $('#notify-count');
  badge.textContent = n;
  badge.hidden = !n;
}

// ---- a chat ----------------------------------------------------------------

async function openChat(dialog) {
  Object.assign(view, { kind: 'chat', dialog, messages: new Map(), oldest: null, reactions: new Map(), blocked: new Set(), files: new Map(), editing: null });
  document.body.classList.add('chat-open');
  const info = await call('im.dialog.get', { DIALOG_ID: dialog });
  view.chatId = Number(info.id);
  const memberIds = await call('im.chat.user.list', { CHAT_ID: view.chatId }).catch(() => []);
  await learnUsers(memberIds);
  const isGroup = String(dialog).startsWith('chat');
  const pic = avatar(info.name || info.title || dialog, dialog, info.avatar);
  if (isColor(info.color) && !pic.querySelector('img')) pic.style.background = info.color;
  setMain(
    el('header', { class: 'chat-head' },
      el('button', { class: 'back', title: 'Chats', onclick: () => document.body.classList.remove('chat-open') }, '←'),
      pic,
      el('h2', { id: 'chat-title' }, info.name || info.title || dialog),
      el('span', { class: 'members', id: 'members' }, isGroup ? memberIds.map(nameOf).join(', ') : presenceLine(dialog)),
      isGroup ? el('button', { id: 'add-member', onclick: () => addMemberForm() }, 'Add member') : null),
    el('div', { class: 'messages', id: 'messages', onclick: inlineAction },
      el('button', { id: 'older', onclick: () => loadOlder().catch(showError) }, 'Load older')),
    el('div', { class: 'typing', id: 'typing' }),
    el('form', { class: 'composer', id: 'composer', onsubmit: sendMessage },
      el('label', { class: 'attach-file', title: 'Send a file' }, 'File…',
        el('input', { type: 'file', id: 'file-input', hidden: true, onchange: (e) => uploadFile(e.target).catch(showError) })),
      el('textarea', { id: 'text', placeholder: 'Write a message…', oninput: typingSoon, onkeydown: submitOnEnter }),
      el('button', { type: 'submit', class: 'primary' }, 'Send')));
  await loadPage({ LIMIT: 50 });
  scrollDown();
  markRead();
  for (const li of document.querySelectorAll('#recent li')) li.classList.toggle('active', li.dataset.dialog === dialog);
}

// Mentions open their dialog; [send] sends and [put] drafts its command.
function inlineAction(e) {
  const target = e.target.closest('[data-user], [data-dialog], [data-send], [data-put]');
  if (!target) return;
  e.preventDefault();
  const d = target.dataset;
  if (d.send) send(d.send).catch(showError);
  else if (d.put) { const box = $('#text'); box.value = d.put; box.focus(); }
  else if (d.dialog) openChat(d.dialog).catch(showError);
  else if (d.user && d.user !== 'all' && Number(d.user) !== Number(S.user)) openChat(d.user).catch(showError);
}

// The open chat's title and members again (after a change to the chat),
// leaving the messages and the draft as they are.
async function refreshHeader() {
  const info = await call('im.dialog.get', { DIALOG_ID: view.dialog });
  const memberIds = await call('im.chat.user.list', { CHAT_ID: view.chatId }).catch(() => []);
  await learnUsers(memberIds);
  const title = $('#chat-title');
  if (title) title.textContent = info.name || info.title || view.dialog;
  const members = $('#members');
  if (members) members.textContent = String(view.dialog).startsWith('chat') ? memberIds.map(nameOf).join(', ') : presenceLine(view.dialog);
}

// Presence changes without an update: the list (and an open dialog's line)
// are read again every 30 s while the page is shown.
let presenceTimer = null;
function watchPresence() {
  if (presenceTimer) return;
  presenceTimer = setInterval(() => {
    if (!S || document.hidden) return;
    loadRecent().then(() => {
      if (view.kind === 'chat' && !String(view.dialog).startsWith('chat')) {
        const members = $('#members');
        if (members) members.textContent = presenceLine(view.dialog);
      }
    }).catch(() => {});
  }, 30_000);
}

async function loadPage(extra) {
  const page = await call('im.dialog.messages.get', { DIALOG_ID: view.dialog, ...extra });
  remember(page.users);
  for (const f of page.files || []) view.files.set(Number(f.id), f);
  const likers = page.messages.flatMap((m) => (m.params && m.params.LIKE) || []);
  await learnUsers(likers);
  for (const m of page.messages) {
    view.messages.set(m.id, m);
    if (view.oldest == null || m.id < view.oldest) view.oldest = m.id;
  }
  renderMessages();
  const older = $('#older');
  if (older && extra.LAST_ID && page.messages.length === 0) older.hidden = true;
  return page.messages;
}

async function loadOlder() {
  if (view.oldest == null) return;
  const box = $('#messages');
  const before = box.scrollHeight;
  await loadPage({ LIMIT: 50, LAST_ID: view.oldest });
  box.scrollTop += box.scrollHeight - before;
}

// Reads one message again (after an edit or a like), or drops it if gone.
async function reloadMessage(id) {
  const page = await call('im.dialog.messages.get', { DIALOG_ID: view.dialog, LAST_ID: id + 1, LIMIT: 1 });
  remember(page.users);
  for (const f of page.files || []) view.files.set(Number(f.id), f);
  // The bot changed or removed the keyboard: it answers again.
  view.blocked.delete(id);
  const m = page.messages.find((x) => x.id === id);
  if (m) view.messages.set(id, m);
  else view.messages.delete(id);
  renderMessages();
}

// Only what came after the newest message shown (FIRST_ID), not a page.
async function loadNewest() {
  const nearBottom = isNearBottom();
  const newest = Math.max(0, ...view.messages.keys());
  await loadPage(newest ? { FIRST_ID: newest, LIMIT: 50 } : { LIMIT: 50 });
  if (nearBottom) scrollDown();
}

function isNearBottom() {
  const box = $('#messages');
  return !box || box.scrollHeight - box.scrollTop - box.clientHeight < 80;
}

function scrollDown() {
  const box = $('#messages');
  if (box) box.scrollTop = box.scrollHeight;
}

function dayOf(iso) {
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
}

// Messages in order, with a line for each new day; a person's messages
// written within five minutes of each other form one group.
function renderMessages() {
  const box = $('#messages');
  if (!box) return;
  const older = $('#older');
  const sorted = [...view.messages.values()].sort((a, b) => a.id - b.id);
  const nodes = [];
  let prev = null;
  // Where the caller had read up to when the chat was opened.
  const firstUnread = sorted.find((m) => m.unread === true && Number(m.author_id) !== Number(S.user));
  for (const m of sorted) {
    const day = dayOf(m.date);
    if (!prev || dayOf(prev.date) !== day) nodes.push(el('div', { class: 'day' }, el('span', {}, day)));
    if (m === firstUnread) nodes.push(el('div', { class: 'unread-line' }, el('span', {}, 'New messages')));
    const follows = prev && dayOf(prev.date) === day && Number(prev.author_id) === Number(m.author_id)
      && Number(m.author_id) > 0 && new Date(m.date) - new Date(prev.date) < 5 * 60 * 1000;
    nodes.push(renderMessage(m, follows));
    prev = m;
  }
  box.replaceChildren(older, ...nodes);
}

function renderFiles(m) {
  const ids = (m.params && m.params.FILE_ID) || [];
  const files = ids.map((id) => view.files.get(Number(id))).filter(Boolean);
  if (!files.length) return null;
  return el('div', { class: 'files' }, files.map((f) => {
    const href = safeUrl(f.urlDownload);
    if (f.type === 'image' && href) {
      return el('a', { href, target: '_blank', rel: 'noopener noreferrer', class: 'file-image' }, el('img', { src: href, alt: f.name }));
    }
    return el('a', { href, target: '_blank', rel: 'noopener noreferrer', class: 'file', download: f.name }, '📄 ', f.name, el('span', { class: 'a-size' }, ` ${humanSize(f.size)}`));
  }));
}

function renderMessage(m, follows) {
  const mine = Number(m.author_id) === Number(S.user);
  const system = !m.author_id || Number(m.author_id) === 0;
  const params = m.params || {};
  const deleted = params.IS_DELETED === 'Y';
  const likes = (params.LIKE || []).map(Number);
  const liked = likes.includes(Number(S.user));
  const reactions = view.reactions.get(m.id);
  const reactionText = reactions
    ? [...reactions.entries()].flatMap(([u, set]) => [...set].map((r) => `${r} (${nameOf(u)})`)).join(', ')
    : '';
  let body;
  if (deleted) {
    body = el('div', { class: 'text deleted' }, 'This message has been deleted.');
  } else if (view.editing === m.id) {
    const area = el('textarea', { class: 'edit-box' });
    area.value = m.text;
    const save = async () => {
      view.editing = null;
      if (area.value.trim() !== m.text) await call('im.message.update', { MESSAGE_ID: m.id, MESSAGE: area.value }).catch(showError);
      await reloadMessage(m.id).catch(showError);
    };
    area.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); save(); }
      if (e.key === 'Escape') { view.editing = null; renderMessages(); }
    });
    setTimeout(() => area.focus(), 0);
    body = el('div', { class: 'editing' }, area,
      el('div', { class: 'edit-actions' },
        el('button', { type: 'button', class: 'primary save', onclick: save }, 'Save'),
        el('button', { type: 'button', onclick: () => { view.editing = null; renderMessages(); } }, 'Cancel'),
        el('span', { class: 'hint' }, 'Enter to save, Esc to cancel')));
  } else {
    body = textBlock(bbcode(m.text), 'text');
  }
  const name = system ? 'System' : nameOf(m.author_id);
  return el('div', { class: `msg${mine ? ' mine' : ''}${system ? ' system' : ''}${follows ? ' follows' : ''}`, 'data-id': m.id },
    system || follows ? el('span', { class: 'avatar-space' }) : avatar(name, m.author_id),
    el('div', { class: 'bubble' },
      follows ? null : el('div', { class: 'meta' },
        system ? null : el('b', { class: 'author' }, name),
        el('time', { title: new Date(m.date).toLocaleString() }, time(m.date)),
        params.IS_EDITED === 'Y' && !deleted ? el('span', { class: 'edited' }, ' (edited)') : null),
      body,
      deleted ? null : renderFiles(m),
      deleted ? null : (params.ATTACH || []).map(renderAttach),
      renderKeyboard(m),
      system || deleted ? null : el('div', { class: `actions${likes.length || reactionText ? ' has-likes' : ''}` },
        el('button', { class: `like${liked ? ' liked' : ''}`, title: liked ? 'Unlike' : 'Like', onclick: () => like(m.id) },
          liked ? '♥' : '♡', el('span', { class: 'like-count' }, likes.length ? likes.length : '')),
        likes.length ? el('span', { class: 'likers' }, likes.map(nameOf).join(', ')) : null,
        reactionText ? el('span', { class: 'reactions' }, reactionText) : null,
        el('span', { class: 'hover-actions' },
          renderMenu(m),
          mine ? el('button', { class: 'edit', title: 'Edit', onclick: () => { view.editing = m.id; renderMessages(); } }, 'Edit') : null,
          mine ? el('button', { class: 'delete', title: 'Delete', onclick: () => deleteMessage(m.id) }, 'Delete') : null))));
}

async function like(id) {
  await call('im.message.like', { MESSAGE_ID: id, ACTION: 'auto' }).catch(showError);
}

async function send(text) {
  const id = await call('im.message.add', { DIALOG_ID: view.dialog, MESSAGE: text });
  if (!view.messages.has(id)) await loadNewest();
  scrollDown();
}

async function sendMessage(e) {
  e.preventDefault();
  const box = $('#text');
  const text = box.value.trim();
  if (!text) return;
  box.value = '';
  try {
    await send(text);
  } catch (err) {
    box.value = text;
    showError(err);
  }
}

// A file from the composer: im.v2.File.upload, with the draft as its text.
async function uploadFile(input) {
  const file = input.files && input.files[0];
  input.value = '';
  if (!file) return;
  const content = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
  const box = $('#text');
  const message = box.value.trim();
  await call('im.v2.File.upload', { dialogId: view.dialog, fields: { name: file.name, content, message } });
  box.value = '';
  await loadNewest();
  scrollDown();
}

function submitOnEnter(e) {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    $('#composer').requestSubmit();
  }
}

let lastTyping = 0;
function typingSoon() {
  if (Date.now() - lastTyping < 3000) return;
  lastTyping = Date.now();
  call('im.dialog.writing', { DIALOG_ID: view.dialog }).catch(() => {});
}

async function deleteMessage(id) {
  if (!confirm('Delete this message?')) return;
  await call('im.message.delete', { MESSAGE_ID: id }).catch(showError);
  await reloadMessage(id).catch(showError);
}

function markRead() {
  if (view.kind !== 'chat' || document.hidden) return;
  call('im.dialog.read', { DIALOG_ID: view.dialog }).catch(() => {});
}

function showTyping(user) {
  clearTimeout(view.typing.get(user));
  view.typing.set(user, setTimeout(() => { view.typing.delete(user); renderTyping(); }, 4000));
  renderTyping();
}

function renderTyping() {
  const box = $('#typing');
  if (!box) return;
  const names = [...view.typing.keys()].map(nameOf);
  box.textContent = names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : '';
}

// ---- forms: new chat, new dialog, add member --------------------------------

// Checkboxes of everyone to pick from, and a search (im.search.user.list,
// which also finds bots) for the rest.
async function peoplePicker() {
  const found = await everyone();
  const people = found.filter((u) => Number(u.ID) !== Number(S.user))
    .map((u) => ({ id: Number(u.ID), name: `${u.NAME || ''} ${u.LAST_NAME || ''}`.trim() }));
  for (const p of people) users.set(p.id, { id: p.id, name: p.name, bot: false });
  const box = (p) => el('label', {}, el('input', { type: 'checkbox', value: p.id, name: 'pick' }), ' ', p.name);
  const list = el('div', { class: 'picks' }, people.map(box));
  const search = el('input', { id: 'pick-search', placeholder: 'Find a user or bot (3 letters or more)' });
  search.addEventListener('input', async () => {
    const phrase = search.value.trim();
    if (phrase.length < 3) return;
    const res = await call('im.search.user.list', { FIND: phrase }).catch(() => []);
    const shown = new Set([...list.querySelectorAll('input[name=pick]')].map((i) => Number(i.value)));
    remember(res);
    for (const u of res) {
      if (shown.has(Number(u.id)) || Number(u.id) === Number(S.user)) continue;
      list.append(box({ id: Number(u.id), name: `${u.name}${u.bot ? ' (bot)' : ''}` }));
    }
  });
  return el('div', {}, search, list);
}

function picked(form) {
  return [...form.querySelectorAll('input[name=pick]:checked')].map((i) => Number(i.value));
}

async function newChatForm() {
  view.kind = 'form';
  const picker = await peoplePicker();
  const form = el('form', { id: 'new-chat-form', onsubmit: async (e) => {
    e.preventDefault();
    const id = await call('im.chat.add', { TITLE: $('#chat-title-input').value, USERS: picked(form) }).catch(showError);
    if (id) { await loadRecent(); await openChat(`chat${id}`); }
  } },
  el('input', { id: 'chat-title-input', placeholder: 'Title', required: true }),
  el('button', { type: 'submit', class: 'primary' }, 'Create'));
  setMain(el('div', { class: 'panel' }, el('h2', {}, 'New chat'), form));
  form.insertBefore(el('div', {}, el('p', {}, 'Members:'), picker), form.querySelector('button[type=submit]'));
}

async function newDialogForm() {
  view.kind = 'form';
  const found = await everyone();
  const people = found.filter((u) => Number(u.ID) !== Number(S.user));
  setMain(el('div', { class: 'panel' }, el('h2', {}, 'Message a user'),
    el('ul', { class: 'notes' }, people.map((u) =>
      el('li', {}, el('button', { class: 'link', onclick: () => openChat(String(u.ID)) },
        `${u.NAME || ''} ${u.LAST_NAME || ''}`.trim() || `user ${u.ID}`))))));
}

async function addMemberForm() {
  const chatId = view.chatId;
  const dialog = view.dialog;
  const picker = await peoplePicker();
  const form = el('form', { id: 'add-member-form', onsubmit: async (e) => {
    e.preventDefault();
    await call('im.chat.user.add', { CHAT_ID: chatId, USERS: picked(form) }).catch(showError);
    await openChat(dialog);
  } }, el('button', { type: 'submit', class: 'primary' }, 'Add'));
  view.kind = 'form';
  form.prepend(picker);
  setMain(el('div', { class: 'panel' }, el('h2', {}, 'Add members'), form));
}

// ---- notifications ----------------------------------------------------------

async function openNotifications() {
  view.kind = 'notify';
  const page = await call('im.notify.get', { LIMIT: 50 });
  remember(page.users);
  setMain(el('div', { class: 'panel', id: 'notifications' },
    el('h2', {}, 'Notifications ', el('button', { onclick: async () => { await call('im.notify.read.all', {}); openNotifications(); } }, 'Mark all read')),
    page.notifications.length ? el('ul', { class: 'notes' }, page.notifications.map((n) =>
      el('li', { class: n.notify_read === 'Y' || n.read === true ? '' : 'unread' },
        el('div', { class: 'meta' }, n.author_id ? nameOf(n.author_id) + ' · ' : '', time(n.date)),
        textBlock(bbcode(n.text || ''), 'text'),
        ...((n.params && Array.isArray(n.params.ATTACH)) ? n.params.ATTACH : []).map(renderAttach)))) : el('p', {}, 'No notifications.')));
  loadRecent().catch(() => {});
}

// ---- events panel -------------------------------------------------------------

let eventsTimer = null;
let eventsClient = '';
const eventsOpen = new Set();
const knownClients = new Set();

async function openEvents() {
  view.kind = 'events';
  setMain(el('div', { class: 'panel', id: 'events' },
    el('h2', {}, 'Event deliveries'),
    el('form', { onsubmit: (e) => e.preventDefault() }, 'Application: ',
      el('select', { id: 'events-client', onchange: (e) => { eventsClient = e.target.value; loadDeliveries(); } }),
      el('span', { class: 'hint' }, 'Newest first; refreshed every 1.5 s. Click an id for its payload.')),
    el('div', { id: 'deliveries' }, 'Loading…')));
  await loadDeliveries();
  clearInterval(eventsTimer);
  eventsTimer = setInterval(() => { if (view.kind === 'events') loadDeliveries(); else clearInterval(eventsTimer); }, 1500);
}

async function loadDeliveries() {
  let rows;
  try {
    rows = await call('b24im.event.delivery.list', eventsClient ? { CLIENT_ID: eventsClient, LIMIT: 100 } : { LIMIT: 100 });
  } catch (err) {
    const box = $('#deliveries');
    if (box) box.textContent = err.code === 'ACCESS_DENIED' ? 'Only an administrator sees event deliveries.' : err.message;
    return;
  }
  const box = $('#deliveries');
  if (!box) return;
  for (const d of rows) knownClients.add(d.CLIENT_ID);
  const select = $('#events-client');
  if (select && select.options.length !== knownClients.size + 1) {
    select.replaceChildren(el('option', { value: '' }, 'every application'),
      [...knownClients].map((c) => el('option', { value: c, selected: c === eventsClient }, c)));
  }
  if (!rows.length) { box.textContent = 'No event deliveries yet.'; return; }
  box.replaceChildren(el('table', { class: 'deliveries' },
    el('thead', {}, el('tr', {}, ['ID', 'Event', 'Bot', 'State', 'Attempt', 'HTTP', 'Latency', 'Next retry', 'Target', ''].map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.flatMap((d) => {
      const open = eventsOpen.has(d.ID);
      const row = el('tr', { class: `delivery ${d.STATE}`, 'data-id': d.ID },
        el('td', {}, el('button', { class: 'link', onclick: () => { open ? eventsOpen.delete(d.ID) : eventsOpen.add(d.ID); loadDeliveries(); } }, `${open ? '▾' : '▸'} ${d.ID}`)),
        el('td', { class: 'event-name' }, d.EVENT),
        el('td', {}, d.BOT_ID || ''),
        el('td', { class: 'state' }, d.STATE),
        el('td', {}, d.ATTEMPTS),
        el('td', { class: 'status' }, d.LAST_STATUS == null ? (d.ATTEMPTS ? 'no answer' : '') : d.LAST_STATUS),
        el('td', {}, d.LAST_LATENCY_MS == null ? '' : `${d.LAST_LATENCY_MS} ms`),
        el('td', {}, d.NEXT_ATTEMPT ? time(d.NEXT_ATTEMPT) : ''),
        el('td', { class: 'url' }, d.HANDLER, d.LAST_ERROR ? el('div', { class: 'error' }, d.LAST_ERROR) : null),
        el('td', {}, el('button', { class: 'replay', onclick: () => replay(d.ID) }, 'Replay')));
      const detail = open ? el('tr', { class: 'payload' }, el('td', { colspan: 10 }, el('pre', {}, JSON.stringify(d.PAYLOAD, null, 2)))) : null;
      return detail ? [row, detail] : [row];
    }))));
}

async function replay(id) {
  await call('b24im.event.delivery.replay', { ID: [id] }).catch(showError);
  await loadDeliveries();
}

// ---- the live channel ------------------------------------------------------------

let socket = null;
let revision = null;
let retry = 500;

function connectLive() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  socket = new WebSocket(`${scheme}//${location.host}/live`);
  const state = $('#live-state');
  socket.onopen = async () => {
    const hello = {};
    if (S.webhook) {
      const m = S.webhook.match(/\/rest\/([^/]+)\/([^/]+)\/$/);
      hello.webhook = { user: m[1], token: m[2] };
    } else {
      await freshToken().catch(() => {});
      hello.auth = S.token;
    }
    if (revision) hello.since = revision;
    socket.send(JSON.stringify(hello));
  };
  socket.onmessage = (e) => {
    const frame = JSON.parse(e.data);
    if (frame.type === 'welcome') {
      retry = 500;
      state.textContent = 'live: connected';
      state.classList.add('on');
      if (!revision) revision = frame.revision;
    } else if (frame.type === 'reset') {
      revision = frame.revision;
      reloadAll();
    } else if (frame.type === 'updates') {
      revision = frame.revision;
      for (const u of frame.updates) apply(u).catch(() => {});
    } else if (frame.type === 'error') {
      state.textContent = `live: ${frame.error_description || frame.error}`;
      if (frame.error === 'expired_token' && S && !S.webhook) S.expires = 0;
    }
  };
  socket.onclose = () => {
    state.textContent = 'live: reconnecting';
    state.classList.remove('on');
    if (!S) return;
    setTimeout(connectLive, retry);
    retry = Math.min(retry * 2, 10000);
  };
}

async function apply(u) {
  const here = view.kind === 'chat' && u.chat === view.chatId;
  switch (u.type) {
    case 'message':
      refreshRecentSoon();
      if (here) { await loadNewest(); markRead(); }
      break;
    case 'edit':
    case 'delete':
      if (here && view.messages.has(u.id)) await reloadMessage(u.id);
      refreshRecentSoon();
      break;
    case 'reaction':
      if (!here || !view.messages.has(u.message)) break;
      if (u.reaction === 'like') {
        const m = view.messages.get(u.message);
        const likes = new Set(((m.params && m.params.LIKE) || []).map(Number));
        if (u.set) likes.add(u.user); else likes.delete(u.user);
        m.params = { ...(m.params || {}), LIKE: [...likes] };
        await learnUsers([u.user]);
        // Shown at once, then read back: updates of two commits may come
        // in the other order.
        confirmSoon(u.message);
      } else {
        const byUser = view.reactions.get(u.message) || new Map();
        const set = byUser.get(u.user) || new Set();
        if (u.set) set.add(u.reaction); else set.delete(u.reaction);
        byUser.set(u.user, set);
        view.reactions.set(u.message, byUser);
      }
      renderMessages();
      break;
    case 'typing':
      if (here) { await learnUsers([u.user]); showTyping(u.user); }
      break;
    case 'read':
      refreshRecentSoon();
      break;
    case 'chat':
      refreshRecentSoon();
      if (here) await refreshHeader();
      break;
    case 'user':
      refreshRecentSoon();
      if (view.kind === 'notify') openNotifications();
      break;
  }
}

const confirming = new Map();
function confirmSoon(id) {
  clearTimeout(confirming.get(id));
  confirming.set(id, setTimeout(() => {
    confirming.delete(id);
    if (view.messages.has(id)) reloadMessage(id).catch(() => {});
  }, 150));
}

function reloadAll() {
  refreshRecentSoon();
  if (view.kind === 'chat') openChat(view.dialog).catch(showError);
}

// ---- sign in and start ------------------------------------------------------------

function showError(err) {
  console.error(err);
  const box = $('#live-state');
  if (box) box.textContent = `error: ${err.message || err}`;
}

async function start() {
  const me = await call('profile', {});
  S.user = Number(me.ID);
  saveSession();
  users.set(S.user, { id: S.user, name: `${me.NAME} ${me.LAST_NAME}`.trim(), bot: false });
  $('#me').textContent = nameOf(S.user);
  $('#signin').hidden = true;
  $('#app').hidden = false;
  // The events panel is for administrators (user.admin).
  $('#events-btn').hidden = true;
  call('user.admin', {}).then((admin) => { $('#events-btn').hidden = admin !== true; }).catch(() => {});
  await loadRecent();
  connectLive();
  watchPresence();
}

function signOut() {
  S = null;
  saveSession();
  if (socket) socket.close();
  location.replace('/');
}

async function main() {
  $('#signout').onclick = signOut;
  $('#new-chat').onclick = () => newChatForm().catch(showError);
  $('#new-dialog').onclick = () => newDialogForm().catch(showError);
  $('#notify-btn').onclick = () => openNotifications().catch(showError);
  $('#events-btn').onclick = () => openEvents().catch(showError);
  document.addEventListener('visibilitychange', markRead);
  $('#signin-oauth').onclick = () => {
    const state = Math.random().toString(36).slice(2);
    sessionStorage.setItem('b24im.state', state);
    location.assign(`/oauth/authorize/?client_id=${CLIENT_ID}&state=${state}`);
  };
  // The example names this server, whatever its address.
  $('#webhook-url').placeholder = `${location.origin}/rest/1/secret/`;
  $('#signin-webhook').onsubmit = async (e) => {
    e.preventDefault();
    let url = $('#webhook-url').value.trim();
    if (!/\/rest\/[^/]+\/[^/]+\/?$/.test(url)) { $('#signin-error').textContent = `A webhook URL looks like ${location.origin}/rest/1/secret/`; return; }
    if (!url.endsWith('/')) url += '/';
    S = { webhook: url };
    try { await start(); } catch (err) { S = null; saveSession(); $('#signin-error').textContent = err.message; }
  };

  const q = new URLSearchParams(location.search);
  if (q.get('code')) {
    history.replaceState(null, '', '/');
    try {
      if (q.get('state') !== sessionStorage.getItem('b24im.state')) throw new Error('The sign-in did not start here; try again.');
      adoptTokens(await tokenRequest({ grant_type: 'authorization_code', code: q.get('code') }));
    } catch (err) {
      $('#signin').hidden = false;
      $('#signin-error').textContent = err.message;
      return;
    }
  } else {
    try { S = JSON.parse(localStorage.getItem(STORE_KEY)); } catch { S = null; }
  }
  if (!S) { $('#signin').hidden = false; return; }
  try {
    await start();
  } catch (err) {
    S = null;
    saveSession();
    $('#signin').hidden = false;
    $('#signin-error').textContent = err.message;
  }
}

main();

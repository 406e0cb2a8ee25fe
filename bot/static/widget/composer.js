/**
 * Widget: the composer (length limit, submit), status, unread count, typing.
 */
import { t } from './texts.js';
import { byteLength, DEFAULT_MAX_BYTES } from './storage.js';
import { state } from './state.js';
import { emit } from './events.js';
import { ui } from './ui.js';
import { sendText } from './actions.js';
import { addItem, str } from './frames.js';
import { open } from './panel.js';

function maxBytes() {
  const n = state.info && Number(state.info.max_message_bytes);
  return n && Number.isFinite(n) && n > 0 ? n : DEFAULT_MAX_BYTES;
}

/** How many characters too long `text` is (0: it fits), counted as the server counts: UTF-8 bytes. */
export function overflow(text) {
  const limit = maxBytes();
  if (byteLength(text) <= limit) return 0;
  let bytes = 0;
  let fits = 0;
  const chars = Array.from(text);
  for (const ch of chars) {
    bytes += byteLength(ch);
    if (bytes > limit) break;
    fits += 1;
  }
  return chars.length - fits;
}

/** Under the composer: how much room is left near the limit, and a clear error over it. */
export function checkLength() {
  if (!ui.input) return true;
  const text = ui.input.value;
  const over = overflow(text);
  const left = maxBytes() - byteLength(text);
  ui.hint.dataset.over = String(over > 0);
  ui.input.setAttribute('aria-invalid', String(over > 0));
  if (over > 0) ui.hint.textContent = t.tooLong(over);
  else if (left < 200) ui.hint.textContent = t.nearLimit(left);
  else ui.hint.textContent = '';
  ui.hint.hidden = !ui.hint.textContent;
  return over === 0;
}

export function autosize() {
  const input = ui.input;
  input.style.height = 'auto';
  input.style.height = `${Math.min(140, Math.max(44, input.scrollHeight + 2))}px`;
}

export function submit() {
  const text = ui.input.value;
  if (!text.trim()) return;
  if (!checkLength()) { // over the limit: nothing is sent, the text stays to be shortened
    ui.input.focus();
    return;
  }
  sendText(text);
  ui.input.value = '';
  autosize();
  checkLength();
  ui.input.focus();
}

export function updateWelcome() {
  if (!ui.welcome) return;
  // A returning customer the shop signed in is greeted by name, and told about an open ticket.
  const info = state.info || {};
  const name = info.customer && info.customer.name ? String(info.customer.name) : '';
  const open = state.returning;
  const personal = !!(name || open != null);
  const lines = [name ? t.welcomeBack(name) : t.welcome];
  if (open != null) lines.push(t.openTicket(open));
  ui.welcome.textContent = lines.join(' ');
  ui.welcome.hidden = !personal && (state.transcript.length > 0 || ui.list.childElementCount > 0);
}

export function nearBottom() {
  const s = ui.scroll;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
}
export function scrollToBottom() {
  if (ui.scroll) ui.scroll.scrollTop = ui.scroll.scrollHeight;
}

export function setStatus(status) {
  state.status = status;
  if (!ui.root) return;
  ui.root.dataset.status = status;
  const info = state.info;
  let text = status === 'idle' ? t.tagline : t[status];
  if (status === 'online' && info && info.owner === 'agent') {
    text = info.queue && info.queue.agent ? t.withAgent(info.queue.agent) : t.waiting;
  }
  ui.stateText.textContent = text;
}

/** The server's `status` frame: who has the conversation, the queue, the wait, the reply email. */
export function applyStatus(f) {
  const before = state.info;
  state.statusFrame = f;
  // An open ticket found when the page loads (a returning customer) is mentioned in the greeting;
  // one opened during this visit is not.
  if (!before) state.returning = f.queue && f.queue.ticket != null ? f.queue.ticket : null;
  else if (!f.queue) state.returning = null;
  state.info = {
    owner: f.owner === 'agent' ? 'agent' : 'bot',
    queue: f.queue && typeof f.queue === 'object' ? f.queue : null,
    customer: f.customer && typeof f.customer === 'object' ? f.customer : null,
    reply_email: f.reply_email ? str(f.reply_email) : '',
    email_replies: !!f.email_replies,
    max_message_bytes: f.max_message_bytes,
  };
  const info = state.info;
  const q = info.queue;
  const agent = q && q.agent ? str(q.agent) : '';
  // "Agnes joined", once per person (a second device, or a reload, does not repeat it).
  const joinedBefore = state.transcript.filter((i) => i.kind === 'joined').pop();
  if (agent && joinedBefore && joinedBefore.agent === agent && joinedBefore.ticket == null) {
    joinedBefore.ticket = q.ticket; // said by the person's first reply, which came before this status
  } else if (agent && (!joinedBefore || joinedBefore.agent !== agent || joinedBefore.ticket !== q.ticket)) {
    addItem({ kind: 'joined', agent, ticket: q.ticket, at: new Date().toISOString() });
  }
  if (!ui.root) return;
  // The queue box and the e-mail form take room from the transcript: a customer reading its end keeps
  // seeing it (the handoff notice would otherwise slip under the box just shown).
  const stick = nearBottom();
  setStatus(state.status);
  // A person has it: "talk to a person" is no longer offered.
  ui.human.hidden = info.owner === 'agent';
  if (info.owner === 'agent' && q) {
    let text;
    if (agent) text = t.agentHere(agent);
    else if (q.wait_minutes != null && q.position != null) text = t.queue(q.position, q.wait_minutes);
    else text = t.nobody;
    ui.queueText.textContent = info.reply_email ? `${text} ${t.emailSaved(info.reply_email)}` : text;
    ui.queue.dataset.nobody = String(!agent && q.wait_minutes == null);
    ui.queue.hidden = false;
    ui.emailForm.hidden = !info.email_replies || !!info.reply_email || !!agent;
  } else {
    ui.queue.hidden = true;
  }
  if (!before || before.max_message_bytes !== info.max_message_bytes) checkLength();
  updateWelcome();
  if (stick) scrollToBottom();
}

export function setUnread(n) {
  if (n !== state.unread) emit('unread', { count: n });
  state.unread = n;
  if (!ui.badge) return;
  ui.badge.hidden = n === 0;
  ui.badge.textContent = n > 9 ? '9+' : String(n);
  ui.launcher.setAttribute('aria-label', n ? `${t.launcherOpen} (${t.unread(n)})` : state.open ? t.launcherClose : t.launcherOpen);
}

let typingTimer = 0; // a typing hint hides by itself when no new one comes
export function showTyping(who) {
  if (!ui.typing) return;
  ui.typingText.textContent = who === 'agent' ? t.typingAgent : t.typingBot;
  const stick = nearBottom();
  ui.typing.hidden = false;
  if (stick) scrollToBottom();
  clearTimeout(typingTimer);
  typingTimer = setTimeout(hideTyping, 5000);
}
export function hideTyping() {
  clearTimeout(typingTimer);
  if (ui.typing) ui.typing.hidden = true;
}

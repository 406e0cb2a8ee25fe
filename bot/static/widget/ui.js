/**
 * Widget: the launcher and the panel.
 */
import { cfg, script } from './config.js';
import { t } from './texts.js';
import { DEFAULT_MAX_BYTES } from './storage.js';
import { state } from './state.js';
import { off } from './events.js';
import { button, el, icon, ICON_CHAT, ICON_CLOSE, ICON_SEND } from './dom.js';
import { STYLES } from './styles.js';
import { dismissOffer, pendingOffer, updateOffer } from './offer.js';
import { autosize, checkLength, submit, updateWelcome } from './composer.js';
import { refreshFeedbackRows, renderItem } from './messages.js';
import { requestHuman } from './actions.js';
import { queueFrame, sendFrame } from './connection.js';
import { close, open } from './panel.js';

/* ------------------------------------------------------------------ UI */

export const ui = {};
export const nodes = new WeakMap(); // transcript item -> element

export function buildUi() {
  if (!ui.style) { // once: setLocale builds the rest again
    const style = ui.style = el('style', 'kundresa-style');
    if (script && script.nonce) style.nonce = script.nonce;
    style.textContent = STYLES;
    document.head.append(style);
  }

  const root = ui.root = el('div', 'kundresa-root');
  root.dataset.status = state.status;
  if (cfg.color && window.CSS && CSS.supports('color', cfg.color)) root.style.setProperty('--kundresa-accent', cfg.color);
  applyLauncher();

  const launcher = ui.launcher = button('', null, t.launcherOpen);
  launcher.id = 'kundresa-launcher';
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-controls', 'kundresa-panel');
  ui.badge = el('span', 'kundresa-badge');
  ui.badge.hidden = true;
  ui.badge.setAttribute('aria-hidden', 'true');
  launcher.append(icon(ICON_CHAT), ui.badge);
  launcher.addEventListener('click', () => (state.open ? close() : open()));

  const panel = ui.panel = el('div');
  panel.id = 'kundresa-panel';
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-labelledby', 'kundresa-title');
  panel.setAttribute('lang', cfg.lang);
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.preventDefault(); close(); }
  });

  const header = el('div', 'kundresa-header');
  const heading = el('div', 'kundresa-heading');
  const title = el('h2', 'kundresa-title', t.title);
  title.id = 'kundresa-title';
  const stateLine = el('div', 'kundresa-state');
  ui.stateText = el('span', 'kundresa-state-text', t.tagline);
  stateLine.append(el('span', 'kundresa-dot'), ui.stateText);
  heading.append(title, stateLine);
  const closeBtn = button('kundresa-close', null, t.close);
  closeBtn.append(icon(ICON_CLOSE, true));
  closeBtn.addEventListener('click', () => close());
  header.append(heading, closeBtn);

  const scroll = ui.scroll = el('div', 'kundresa-scroll');
  ui.welcome = el('p', 'kundresa-welcome', t.welcome);
  const list = ui.list = el('div');
  list.id = 'kundresa-messages';
  list.setAttribute('role', 'log');
  list.setAttribute('aria-live', 'polite');
  list.setAttribute('aria-relevant', 'additions');
  list.setAttribute('aria-label', t.title);
  const typing = ui.typing = el('div', 'kundresa-typing');
  typing.hidden = true;
  typing.setAttribute('role', 'status');
  const dots = el('span', 'kundresa-dots');
  dots.setAttribute('aria-hidden', 'true');
  dots.append(el('i'), el('i'), el('i'));
  ui.typingText = el('span', null, t.typingBot);
  typing.append(dots, ui.typingText);
  scroll.append(ui.welcome, list, typing);

  const footer = el('div', 'kundresa-footer');
  // While a person has the conversation: the place in the queue and the wait (or that nobody is in),
  // and the offer to get the reply by email.
  const queue = ui.queue = el('div', 'kundresa-queue');
  queue.hidden = true;
  queue.setAttribute('role', 'status');
  ui.queueText = el('p', 'kundresa-p');
  const emailForm = ui.emailForm = el('form', 'kundresa-email');
  emailForm.hidden = true;
  emailForm.noValidate = true;
  const emailId = 'kundresa-email-input';
  const emailLabel = el('label', null, t.emailOffer);
  emailLabel.htmlFor = emailId;
  const emailP = el('p');
  emailP.append(emailLabel);
  const emailInput = ui.emailInput = el('input');
  emailInput.id = emailId;
  emailInput.type = 'email';
  emailInput.autocomplete = 'email';
  emailInput.placeholder = t.emailLabel;
  emailInput.setAttribute('aria-label', t.emailLabel);
  const emailSave = button('', t.emailSave);
  emailSave.type = 'submit';
  emailForm.append(emailP, emailInput, emailSave);
  emailForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const address = emailInput.value.trim();
    if (!address) return;
    queueFrame({ type: 'email', address });
  });
  queue.append(ui.queueText, emailForm);
  const human = ui.human = button('', t.human);
  human.id = 'kundresa-human';
  human.addEventListener('click', requestHuman);
  const form = el('form', 'kundresa-composer');
  form.noValidate = true;
  const label = el('label', 'kundresa-sr', t.inputLabel);
  label.htmlFor = 'kundresa-input';
  const input = ui.input = el('textarea');
  input.id = 'kundresa-input';
  input.rows = 1;
  input.maxLength = DEFAULT_MAX_BYTES; // characters never outnumber bytes: the byte check below is the real one
  input.placeholder = t.placeholder;
  input.setAttribute('enterkeyhint', 'send');
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', () => { autosize(); checkLength(); });
  // Agents see "the customer is typing" (the server passes it on only while a person has the chat).
  let typingSent = 0;
  input.addEventListener('input', () => {
    if (input.value.trim() && Date.now() - typingSent > 2500) { typingSent = Date.now(); sendFrame({ type: 'typing' }); }
  });
  const send = button('', null, t.send);
  send.id = 'kundresa-send';
  send.type = 'submit';
  send.append(icon(ICON_SEND));
  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  form.append(label, input, send);
  const hint = ui.hint = el('p', 'kundresa-hint');
  hint.id = 'kundresa-hint';
  hint.hidden = true;
  hint.setAttribute('aria-live', 'polite');
  input.setAttribute('aria-describedby', hint.id);
  footer.append(queue, human, form, hint);

  panel.append(header, scroll, footer);
  // The proactive bubble sits before the launcher: Tab reaches it first, next to what it points at.
  const offer = ui.offer = el('div', 'kundresa-offer');
  offer.hidden = true;
  offer.setAttribute('role', 'group');
  offer.setAttribute('aria-label', t.offerLabel);
  offer.setAttribute('lang', cfg.lang);
  offer.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.preventDefault(); dismissOffer(pendingOffer()); }
  });
  // Announced (politely) when it appears; the bubble itself never takes the focus from the checkout.
  ui.offerLive = el('div', 'kundresa-sr');
  ui.offerLive.setAttribute('aria-live', 'polite');
  root.append(panel, offer, ui.offerLive, launcher);
  document.body.append(root);

  for (const item of state.transcript) renderItem(item, false);
  refreshFeedbackRows();
  updateWelcome();
  updateLauncher();
  updateOffer();
}

/** Position and offsets (data attributes, the config object or `Kundresa.setLauncher`). */
export function applyLauncher() {
  if (!ui.root) return;
  ui.root.style.setProperty('--kundresa-x', `${cfg.launcher.x}px`);
  ui.root.style.setProperty('--kundresa-y', `${cfg.launcher.y}px`);
  ui.root.style.setProperty('--kundresa-y-m', `${cfg.launcher.yMobile}px`);
  ui.root.classList.toggle('kundresa-left', cfg.launcher.left);
}

/** The shop hides the launcher on chosen steps (`hide-on-steps`), e.g. where it would cover "Buy", or
 * everywhere with `Kundresa.hideLauncher()`. */
export function updateLauncher() {
  if (!ui.root) return;
  const step = state.context && state.context.step != null ? String(state.context.step) : '';
  const off = state.launcherHidden || (!!step && cfg.launcher.hideOnSteps.includes(step));
  ui.root.classList.toggle('kundresa-launcher-off', off);
  updateOffer();
}

/**
 * Agent console: a returning customer's earlier contacts.
 */
import { $, el } from '../console/common.js';
import { state, t } from './state.js';
import { clock, kv, reasonText } from './helpers.js';

/* ------------------------------------------------------------------ a returning customer's earlier contacts */

export function renderHistory() {
  const cur = state.current;
  const h = state.history;
  const section = $('agent-history-section');
  const earlier = h && cur ? (h.tickets || []).filter((x) => x.id !== cur.id) : [];
  const convs = h && cur ? (h.conversations || []) : [];
  section.hidden = !(h && h.verified && (earlier.length || convs.length > 1));
  if (section.hidden) return;
  const dl = $('agent-history-summary');
  dl.replaceChildren();
  kv(dl, t.lastContact, h.last_contact ? clock(h.last_contact) : null);
  kv(dl, t.csatAverage, h.csat_average != null ? `${h.csat_average}/5 (${h.csat_count})` : null);
  kv(dl, t.channels, t.conversationsN(convs.length));
  const ul = $('agent-history');
  ul.replaceChildren(...earlier.slice(0, 10).map((x) => {
    const li = el('li');
    li.dataset.ticket = String(x.id);
    li.append(el('span', null, `${t.earlierTicket(x.id)} · ${t.statuses[x.status] || x.status}`),
      el('span', 'score', x.csat ? t.csat(x.csat) : ''));
    const bits = [clock(x.created_at), reasonText(x.reason), x.question].filter(Boolean);
    li.append(el('span', 'slug', bits.join(' · ')));
    return li;
  }));
  if (!earlier.length) ul.append(el('li', 'hint', t.noHistory));
}

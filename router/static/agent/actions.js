/**
 * Agent console: what an agent does to a ticket (claim, reply, note, transfer, release, close…).
 */
import * as KC from '../console/common.js';
import { $, el } from '../console/common.js';
import { OPEN, state, t, TYPING_EVERY } from './state.js';
import { announce, notice, toast } from './helpers.js';
import { act, api } from './api.js';
import { upsertTicket } from './socket.js';
import { reloadTimeline } from './ticket.js';
import { hideSlash } from './slash.js';

/* ------------------------------------------------------------------ actions */

export async function claim() {
  const cur = state.current;
  if (!cur) return;
  let data;
  try {
    data = await api('POST', `/api/tickets/${cur.id}/claim`);
  } catch (e) {
    // 409: another agent was quicker, or the ticket ended meanwhile. The server says who has it; the
    // console socket brings the ticket's new state.
    const message = e instanceof KC.ApiError ? e.message : t.error;
    if (e instanceof KC.ApiError && e.status === 409) notice(message);
    toast(message);
    return;
  }
  upsertTicket({ ...data, assignee: state.agent.name }, 'claimed');
  notice(t.claimDone);
  $('agent-reply').focus();
}

/* Transfer: the configured teams (GET /api/teams) in a select, then optionally one of that team's agents. */
export async function loadTeams() {
  const data = await act(() => api('GET', '/api/teams'));
  if (!data) return;
  state.teams = data.teams || [];
  state.teamless = data.teamless || [];
  renderTransfer();
}

export function renderTransfer() {
  const cur = state.current;
  const teamSel = $('agent-transfer-team');
  const keep = teamSel.value;
  const teams = state.teams.filter((x) => !cur || x.name !== cur.team);
  teamSel.replaceChildren(...teams.map((x) => { const o = el('option', null, x.name); o.value = x.name; return o; }));
  if (teams.some((x) => x.name === keep)) teamSel.value = keep;
  const team = state.teams.find((x) => x.name === teamSel.value);
  const agentSel = $('agent-transfer-agent');
  const keepAgent = agentSel.value;
  const anyone = el('option', null, t.anyAgent);
  anyone.value = '';
  const agents = [...(team ? team.agents : []), ...(state.teamless || [])]
    .filter((a) => !state.agent || a.id !== state.agent.id);
  agentSel.replaceChildren(anyone, ...agents.map((a) => {
    const o = el('option', null, a.presence === 'online' ? a.name : `${a.name} (${t.agentAway})`);
    o.value = String(a.id);
    return o;
  }));
  if (agents.some((a) => String(a.id) === keepAgent)) agentSel.value = keepAgent;
}

export async function transfer() {
  const cur = state.current;
  if (!cur) return;
  const team = $('agent-transfer-team').value;
  if (!team) { toast(t.pickTeam); $('agent-transfer-team').focus(); return; }
  const agentId = Number($('agent-transfer-agent').value) || null;
  const body = agentId ? { team, agent: agentId } : { team };
  const data = await act(() => api('POST', `/api/tickets/${cur.id}/transfer`, body));
  if (!data) return;
  const agentName = agentId ? ($('agent-transfer-agent').selectedOptions[0] || {}).textContent : null;
  upsertTicket({ ...data, assignee: agentId ? agentName : null }, 'transferred');
  notice(agentId ? t.transferToAgent(agentName, team) : t.transferDone(team));
  loadTeams(); // loads changed
}

export async function resolve() {
  const cur = state.current;
  if (!cur) return;
  const slug = state.pick.ticket === cur.id ? $('agent-resolve-article').value : '';
  const body = slug ? { article: slug, picked_for: cur.id } : {};
  const data = await act(() => api('POST', `/api/tickets/${cur.id}/resolve`, body));
  if (!data) return;
  upsertTicket(data, 'resolved');
  notice(data.learned_question ? `${t.resolvedDone} ${t.learned(data.learned_question)}` : t.resolvedDone);
}

export async function send() {
  const cur = state.current;
  const box = $('agent-reply');
  const text = box.value.trim();
  if (!cur || !text) return;
  const internal = $('agent-internal').checked;
  $('agent-send').disabled = true;
  const data = await act(() => api('POST', `/api/tickets/${cur.id}/messages`, { text, internal }));
  $('agent-send').disabled = false;
  if (!data) return;
  box.value = '';
  state.typing.at = 0; // writing the next reply shows at once
  if (internal) { // a note is one message: the next one goes to the customer unless ticked again
    $('agent-internal').checked = false;
    updateComposerMode();
  }
  hideSlash();
  announce(internal ? t.noteSaved : t.sent);
  if (!state.socket || state.socket.readyState !== WebSocket.OPEN) reloadTimeline();
  box.focus();
}

// The customer sees "Support is typing…" while the agent writes a reply: one frame every TYPING_EVERY ms
// at most, none for an empty box, an internal note or a ticket that is no longer active.
export function typing() {
  const cur = state.current;
  const ws = state.socket;
  if (!cur || !OPEN.includes(cur.status) || $('agent-internal').checked) return;
  if (!$('agent-reply').value.trim() || !ws || ws.readyState !== WebSocket.OPEN) return;
  const now = Date.now();
  if (state.typing.ticket === cur.id && now - state.typing.at < TYPING_EVERY) return;
  state.typing = { ticket: cur.id, at: now };
  try { ws.send(JSON.stringify({ type: 'typing', ticket: cur.id })); } catch { /* closing: no matter */ }
}

export function updateComposerMode() {
  const internal = $('agent-internal').checked;
  $('agent-composer').classList.toggle('internal-mode', internal);
  $('agent-reply').placeholder = internal ? t.notePlaceholder : t.replyPlaceholder;
  $('agent-send').textContent = internal ? t.sendNote : t.send;
}

export function renderPresence() {
  const b = $('agent-presence');
  const online = Boolean(state.agent && state.agent.presence === 'online');
  b.setAttribute('aria-pressed', String(online));
  b.textContent = online ? t.online : t.away;
  b.setAttribute('aria-label', `${t.presenceLabel}: ${online ? t.online : t.away}`);
}

export async function togglePresence() {
  if (!state.agent) return;
  const next = state.agent.presence === 'online' ? 'away' : 'online';
  const data = await act(() => api('POST', '/api/agents/me/presence', { presence: next }));
  if (!data) return;
  state.agent.presence = data.presence;
  renderPresence();
}

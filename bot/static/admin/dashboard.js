/**
 * Admin console: the statistics view (range, KPIs; the charts are charts.js).
 */
import { $, el, showError } from '../console/common.js';
import { state, t } from './state.js';
import { duration, enc, num, pct } from './helpers.js';
import { api, localError } from './api.js';
import { barChart, chartCard, DURATION_STEPS, lineChart } from './charts.js';

/* ------------------------------------------------------------------ dashboard */

const isoDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
export function setRange(days) {
  const to = new Date();
  const from = new Date(to.getTime() - (days - 1) * 86400000);
  $('stats-from').value = isoDay(from);
  $('stats-to').value = isoDay(to);
}

export async function loadStats() {
  if (!$('stats-from').value || !$('stats-to').value) setRange(30);
  const from = $('stats-from').value;
  const to = $('stats-to').value;
  if (!from || !to || from > to) { showError('stats-error', t.badRange); return; }
  showError('stats-error', '');
  let data;
  try {
    data = await api('GET', `/api/stats?from=${enc(from)}&to=${enc(to)}`);
  } catch (e) {
    showError('stats-error', localError(e));
    return;
  }
  state.stats = data;
  renderStats(data);
}

function outcomes(d) {
  const total = (d.answered || 0) + (d.clarified || 0) + (d.handed_off || 0);
  return { total, answered: total ? d.answered / total : null, clarified: total ? d.clarified / total : null, handed_off: total ? d.handed_off / total : null };
}

function kpi(label, value, sub) {
  const box = el('div', 'kpi');
  box.append(el('div', 'k', label), el('div', 'v', value));
  if (sub) box.append(el('div', 's', sub));
  return box;
}

export function renderStats(data) {
  const tot = data.totals || {};
  const share = outcomes(tot);
  $('stats-kpis').replaceChildren(
    kpi(t.conversations, num(tot.conversations)),
    kpi(t.answeredShare, pct(share.answered), `${num(tot.answered)} ${t.ofOutcomes}`),
    kpi(t.clarifiedShare, pct(share.clarified), `${num(tot.clarified)} ${t.ofOutcomes}`),
    kpi(t.handedOffShare, pct(share.handed_off), `${num(tot.handed_off)} ${t.ofOutcomes}`),
    kpi(t.resolution, pct(tot.bot_resolution_rate), t.ofConversations),
    kpi(t.firstResponse, duration(tot.median_first_response_seconds), tot.first_responses != null ? t.nAnswers(tot.first_responses) : null),
    kpi(t.csat, tot.csat_average == null ? '–' : `${num(tot.csat_average, 1)} / 5`, t.nRatings(tot.csat_count || 0)),
  );
  const days = data.days || [];
  const labels = days.map((d) => d.date);
  const charts = [
    chartCard(t.chartConversations, [['sw-bar', t.conversations]], barChart(labels, [{ cls: 's-bar', name: t.conversations, values: days.map((d) => d.conversations || 0) }], { fmt: (v) => num(v) }),
      labels, [[t.conversations, days.map((d) => num(d.conversations))]]),
    chartCard(t.chartShares, [['sw-answer', t.answered], ['sw-clarify', t.clarified], ['sw-handoff', t.handedOff]],
      barChart(labels, [
        { cls: 's-answer', name: t.answered, values: days.map((d) => outcomes(d).answered), counts: days.map((d) => d.answered) },
        { cls: 's-clarify', name: t.clarified, values: days.map((d) => outcomes(d).clarified), counts: days.map((d) => d.clarified) },
        { cls: 's-handoff', name: t.handedOff, values: days.map((d) => outcomes(d).handed_off), counts: days.map((d) => d.handed_off) },
      ], { stacked: true, max: 1, fmt: pct }),
      labels, [[t.answered, days.map((d) => num(d.answered))], [t.clarified, days.map((d) => num(d.clarified))], [t.handedOff, days.map((d) => num(d.handed_off))]]),
    chartCard(t.chartResolution, [['sw-line', t.resolution]], lineChart(labels, days.map((d) => d.bot_resolution_rate), { min: 0, max: 1, fmt: pct }),
      labels, [[t.resolution, days.map((d) => pct(d.bot_resolution_rate))]]),
    chartCard(t.chartResponse, [['sw-line', t.firstResponse]], lineChart(labels, days.map((d) => d.median_first_response_seconds), { min: 0, fmt: duration, steps: DURATION_STEPS }),
      labels, [[t.firstResponse, days.map((d) => duration(d.median_first_response_seconds))]]),
    chartCard(t.chartCsat, [['sw-csat', t.csat]], lineChart(labels, days.map((d) => d.csat_average), { min: 1, max: 5, fmt: (v) => num(v, 1), cls: 's-csat', dot: 's-csat-dot', counts: days.map((d) => d.csat_count) }),
      labels, [[t.csat, days.map((d) => (d.csat_average == null ? '–' : num(d.csat_average, 1)))], [t.nRatings('').trim(), days.map((d) => num(d.csat_count))]]),
  ];
  $('stats-charts').replaceChildren(...charts);
}

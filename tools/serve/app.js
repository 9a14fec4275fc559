// SPDX-License-Identifier: LGPL-2.1-or-later
// The nnrun serve dashboard: the runs table, a run's curves (or several
// runs' overlaid), a sweep's trials. Charts are plain SVG drawn here: no
// library, nothing loaded from elsewhere. The server says when files change
// (server-sent events); the page fetches again then, and never polls.
'use strict';

const COLORS = ['#2463eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2',
                '#be185d', '#4d7c0f', '#a16207', '#475569'];
const state = { list: { runs: [], sweeps: [] }, sort: {}, filter: '', trials: false,
                logY: false, zoom: null, selected: new Set() };

const $ = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) e.append(k instanceof Node ? k : String(k));
  return e;
};
const svg = (tag, attrs = {}) => {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};
const fmt = v => v == null || Number.isNaN(v) ? '' :
  Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) :
  String(+v.toPrecision(4));
const fileUrl = (id, name) => '/files/' + id.split('/').map(encodeURIComponent).join('/') +
  '/' + name;
async function fetchText(url) {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(url + ': ' + r.status);
  return r.text();
}
function parseCsv(text) {
  const lines = text.trim().split('\n');
  const header = lines.shift().split(',');
  return { header, rows: lines.map(l => l.split(',')) };
}
function history(text) {
  const { header, rows } = parseCsv(text);
  const cols = {};
  header.forEach((h, i) => cols[h] = rows.map(r => r[i] === '' ? NaN : Number(r[i])));
  return cols;
}

// ---- charts ---------------------------------------------------------------

const W = 560, H = 300, M = { l: 58, r: 12, t: 10, b: 34 };

function ticks(lo, hi, log) {
  if (log && hi / lo < 20)
    return ticks(lo, hi, false).filter(v => v > 0);
  if (log) {
    const out = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= lo && v <= hi) out.push(v);
      }
    return out.length > 12 ? out.filter(v => /^1/.test(v.toExponential())) : out;
  }
  const step0 = (hi - lo) / 6 || 1, p = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map(m => m * p).find(s => s >= step0);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(+v.toPrecision(12));
  return out;
}

// series: [{label, color, dash, xs, ys}]; opts: {title, logY, logX, scatter, xLabel, zoom}
function chart(title, series, opts = {}) {
  const box = $('div', { class: 'chart', 'data-title': title }, $('h3', {}, title));
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}` });
  box.append(s);
  const all = series.flatMap(se => se.xs.map((x, i) => [x, se.ys[i]]))
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) &&
            (!opts.logY || y > 0) && (!opts.logX || x > 0));
  if (!all.length) {
    s.append(Object.assign(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }),
                           { textContent: 'no data yet' }));
    return box;
  }
  let [x0, x1] = opts.zoom || [Math.min(...all.map(p => p[0])), Math.max(...all.map(p => p[0]))];
  const inX = all.filter(p => p[0] >= x0 && p[0] <= x1);
  let y0 = Math.min(...inX.map(p => p[1])), y1 = Math.max(...inX.map(p => p[1]));
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { y0 = opts.logY ? y0 / 2 : y0 - 1; y1 = opts.logY ? y1 * 2 : y1 + 1; }
  // A margin, so that no point lies on an axis.
  const pad = (lo, hi, log) => log ? [lo / (hi / lo) ** 0.04, hi * (hi / lo) ** 0.04]
                                   : [lo - (hi - lo) * 0.04, hi + (hi - lo) * 0.04];
  [y0, y1] = pad(y0, y1, opts.logY);
  if (opts.scatter) [x0, x1] = pad(x0, x1, opts.logX);
  const tf = (v, log) => log ? Math.log10(v) : v;
  const px = x => M.l + (tf(x, opts.logX) - tf(x0, opts.logX)) /
    (tf(x1, opts.logX) - tf(x0, opts.logX)) * (W - M.l - M.r);
  const py = y => H - M.b - (tf(y, opts.logY) - tf(y0, opts.logY)) /
    (tf(y1, opts.logY) - tf(y0, opts.logY)) * (H - M.t - M.b);
  for (const v of ticks(y0, y1, opts.logY)) {
    s.append(svg('line', { class: 'grid', x1: M.l, x2: W - M.r, y1: py(v), y2: py(v) }));
    s.append(Object.assign(svg('text', { x: M.l - 4, y: py(v) + 4, 'text-anchor': 'end' }),
                           { textContent: fmt(v) }));
  }
  for (const v of ticks(x0, x1, opts.logX)) {
    s.append(svg('line', { class: 'grid', x1: px(v), x2: px(v), y1: M.t, y2: H - M.b }));
    s.append(Object.assign(svg('text', { x: px(v), y: H - M.b + 14, 'text-anchor': 'middle' }),
                           { textContent: fmt(v) }));
  }
  s.append(Object.assign(svg('text', { x: (W + M.l) / 2, y: H - 4, 'text-anchor': 'middle' }),
                         { textContent: opts.xLabel || 'epoch' }));
  s.append(svg('path', { class: 'axis', fill: 'none',
                         d: `M${M.l},${M.t}V${H - M.b}H${W - M.r}` }));
  const clip = 'clip' + Math.random().toString(36).slice(2);
  const cp = svg('clipPath', { id: clip });
  cp.append(svg('rect', { x: M.l, y: M.t, width: W - M.l - M.r, height: H - M.t - M.b }));
  s.append(cp);
  series.forEach(se => {
    const pts = se.xs.map((x, i) => [x, se.ys[i]])
      .filter(([x, y]) => Number.isFinite(y) && (!opts.logY || y > 0) && (!opts.logX || x > 0));
    if (opts.scatter) {
      const g = svg('g', { class: 'series', 'data-label': se.label, 'data-points': pts.length,
                           'clip-path': `url(#${clip})` });
      for (const [x, y] of pts)
        g.append(svg('circle', { cx: px(x), cy: py(y), r: 4, fill: se.color, 'fill-opacity': .7 }));
      s.append(g);
    } else {
      s.append(svg('path', { class: 'series', stroke: se.color, 'stroke-dasharray': se.dash || '',
                             'data-label': se.label, 'data-points': pts.length,
                             'clip-path': `url(#${clip})`,
                             d: pts.map(([x, y], i) => (i ? 'L' : 'M') + px(x).toFixed(1) + ',' +
                                        py(y).toFixed(1)).join('') }));
    }
  });
  const legend = svg('g', { class: 'legend' });
  const lw = Math.min(W / 2, 34 + 6.4 * Math.max(...series.map(se => (se.label || '').length)));
  const lx = W - M.r - lw;
  legend.append(svg('rect', { x: lx - 4, y: M.t + 1, width: lw + 2, height: 14 * series.length + 6,
                              fill: '#fff', 'fill-opacity': .85 }));
  series.forEach((se, i) => {
    const y = M.t + 12 + 14 * i;
    legend.append(svg('line', { x1: lx, x2: lx + 20, y1: y - 4, y2: y - 4,
                                stroke: se.color, 'stroke-width': 2,
                                'stroke-dasharray': se.dash || '' }));
    legend.append(Object.assign(svg('text', { x: lx + 24, y }), { textContent: se.label }));
  });
  if (series.length > 1 || series[0].label) s.append(legend);
  interact(s, series, { px, py, x0, x1, opts });
  return box;
}

// Hover: the values at the nearest x. Drag: zoom every chart of the view
// to the range; double-click: back to the whole range.
function interact(s, series, { px, x0, x1, opts }) {
  const tip = document.getElementById('tip');
  const cursor = svg('line', { class: 'axis', y1: M.t, y2: H - M.b, visibility: 'hidden' });
  const sel = svg('rect', { class: 'sel', y: M.t, height: H - M.t - M.b, width: 0 });
  s.append(cursor, sel);
  const toX = ev => {
    const r = s.getBoundingClientRect();
    const sx = (ev.clientX - r.left) * W / r.width;
    const f = (sx - M.l) / (W - M.l - M.r);
    const lg = opts.logX;
    const v = lg ? 10 ** (Math.log10(x0) + f * (Math.log10(x1) - Math.log10(x0)))
                 : x0 + f * (x1 - x0);
    return { sx, v };
  };
  let drag = null;
  s.addEventListener('mousemove', ev => {
    const { sx, v } = toX(ev);
    if (drag != null) {
      sel.setAttribute('x', Math.min(drag.sx, sx));
      sel.setAttribute('width', Math.abs(sx - drag.sx));
    }
    const lines = [];
    let best = null;
    for (const se of series) {
      let k = -1, d = Infinity;
      se.xs.forEach((x, i) => { const dd = Math.abs(x - v); if (dd < d && Number.isFinite(se.ys[i])) { d = dd; k = i; } });
      if (k < 0) continue;
      best = best ?? se.xs[k];
      lines.push(`${se.label || 'value'}: ${fmt(se.ys[k])}` +
                 (opts.scatter ? `  (${opts.xLabel} ${fmt(se.xs[k])})` : ''));
    }
    if (best == null) return;
    cursor.setAttribute('x1', px(best)); cursor.setAttribute('x2', px(best));
    cursor.setAttribute('visibility', opts.scatter ? 'hidden' : 'visible');
    tip.textContent = (opts.scatter ? '' : `${opts.xLabel || 'epoch'} ${fmt(best)}\n`) +
      lines.join('\n');
    tip.hidden = false;
    tip.style.left = ev.clientX + 14 + 'px';
    tip.style.top = ev.clientY + 14 + 'px';
  });
  s.addEventListener('mouseleave', () => {
    tip.hidden = true; cursor.setAttribute('visibility', 'hidden');
    drag = null; sel.setAttribute('width', 0);
  });
  if (opts.scatter) return;
  s.addEventListener('mousedown', ev => { drag = toX(ev); ev.preventDefault(); });
  s.addEventListener('mouseup', ev => {
    if (drag == null) return;
    const end = toX(ev);
    const a = Math.min(drag.v, end.v), b = Math.max(drag.v, end.v);
    const moved = Math.abs(end.sx - drag.sx);
    drag = null;
    sel.setAttribute('width', 0);
    if (moved < 4) return;
    state.zoom = [a, b];
    render();
  });
  s.addEventListener('dblclick', () => { state.zoom = null; render(); });
}

// ---- tables ---------------------------------------------------------------

// columns: [{key, label, num, get(row), cell(row)}]; sorted by state.sort[name].
function table(name, columns, rows, attrs = {}) {
  const sort = state.sort[name] || {};
  if (sort.key != null) {
    const col = columns.find(c => c.key === sort.key);
    if (col) {
      const key = r => col.get(r);
      rows = [...rows].sort((a, b) => {
        const u = key(a), v = key(b);
        const c = col.num ? (Number.isFinite(u) ? u : Infinity) - (Number.isFinite(v) ? v : Infinity)
                          : String(u).localeCompare(String(v));
        return sort.desc ? -c : c;
      });
    }
  }
  const head = $('tr', {}, columns.map(c => $('th', {
    class: sort.key === c.key ? (sort.desc ? 'desc' : 'asc') : null,
    'data-key': c.key,
    onclick: () => {
      state.sort[name] = { key: c.key, desc: sort.key === c.key && !sort.desc };
      render();
    },
  }, c.label)));
  return $('table', { id: name, ...attrs }, $('thead', {}, head),
           $('tbody', {}, rows.map(r => $('tr', {}, columns.map(c =>
             $('td', { class: c.num ? 'num' : null },
               c.cell ? c.cell(r) : c.num ? fmt(c.get(r)) : c.get(r)))))));
}

function finalOf(run) {
  const f = run.final || {};
  return f.validation || f.train || {};
}
function metricsOf(runs) {
  const names = new Set();
  for (const r of runs) for (const k of Object.keys(finalOf(r))) if (k !== 'confusion_matrix') names.add(k);
  return [...names];
}

// ---- views ----------------------------------------------------------------

function crumbs(...parts) {
  const nav = document.getElementById('crumbs');
  nav.replaceChildren(...parts.filter(Boolean).flatMap((p, i) => [i ? ' / ' : '',
    p.href ? $('a', { href: p.href }, p.label) : p.label]));
}

function viewRuns(main) {
  crumbs({ label: 'runs' });
  const { runs, sweeps } = state.list;
  const shown = runs.filter(r => (state.trials || !r.sweep) &&
    (!state.filter || JSON.stringify(r).toLowerCase().includes(state.filter.toLowerCase())));
  const metrics = metricsOf(runs);
  const cols = [
    { key: 'sel', label: '', get: r => state.selected.has(r.id) ? 0 : 1, cell: r =>
      $('input', { type: 'checkbox', checked: state.selected.has(r.id), onchange: ev => {
        ev.target.checked ? state.selected.add(r.id) : state.selected.delete(r.id); render();
      } }) },
    { key: 'run', label: 'run', get: r => r.id, cell: r =>
      $('a', { href: '#/run/' + r.id, class: 'run-link' }, r.id.replace(/^\d+\//, '')) },
    { key: 'name', label: 'name', get: r => r.name },
    { key: 'status', label: 'status', get: r => r.status, cell: r =>
      $('span', { class: 'status ' + r.status }, r.status.replace('_', ' ')) },
    { key: 'epochs', label: 'epochs', num: true, get: r => r.epochs ?? NaN, cell: r =>
      `${r.epochs ?? '…'} / ${r.epochs_planned}` },
    ...metrics.map(m => ({ key: 'm:' + m, label: 'final ' + m, num: true, get: r => finalOf(r)[m] })),
    ...['optimizer', 'learning_rate', 'batch_size', 'layers'].map(p => ({
      key: 'p:' + p, label: p.replace('_', ' '), num: p === 'learning_rate' || p === 'batch_size',
      get: r => p === 'layers' || p === 'optimizer' ? r.params[p] || '' : Number(r.params[p]),
      cell: r => r.params[p] || '' })),
  ];
  main.append($('h2', {}, 'Runs'),
    $('div', { class: 'bar' },
      $('input', { type: 'search', id: 'filter', placeholder: 'filter: name, status, parameter…',
                   value: state.filter, oninput: ev => {
                     state.filter = ev.target.value; render();
                   } }),
      $('label', {}, $('input', { type: 'checkbox', id: 'show-trials', checked: state.trials,
                                  onchange: ev => { state.trials = ev.target.checked; render(); } }),
        ' sweep trials'),
      $('button', { id: 'compare', disabled: state.selected.size < 2,
                    onclick: () => location.hash = '#/compare/' + [...state.selected].join(',') },
        `compare selected (${state.selected.size})`),
      $('span', { class: 'muted' }, `${shown.length} of ${runs.length} runs`)),
    table('runs', cols, shown));
  if (sweeps.length)
    main.append($('h2', {}, 'Sweeps'), table('sweeps', [
      { key: 'id', label: 'sweep', get: s => s.id, cell: s =>
        $('a', { href: '#/sweep/' + s.id, class: 'sweep-link' }, s.id.replace(/^\d+\//, '')) },
      { key: 'status', label: 'status', get: s => s.status },
      { key: 'trials', label: 'trials', num: true,
        get: s => runs.filter(r => r.sweep === s.id).length },
      { key: 'best', label: 'best', get: s => s.best },
    ], sweeps));
}

// Curves of @runs, each loaded as {id, cols}: one chart per quantity.
function curves(main, loaded) {
  const names = new Set();
  for (const l of loaded) for (const k of Object.keys(l.cols))
    if (k !== 'epoch' && k !== 'seconds' && !k.startsWith('val_') && !k.startsWith('test_')) names.add(k);
  const charts = $('div', { class: 'charts' });
  for (const q of names) {
    const series = [];
    loaded.forEach((l, i) => {
      const color = COLORS[i % COLORS.length];
      const who = loaded.length > 1 ? l.id.replace(/^\d+\//, '') + ' ' : '';
      if (l.cols[q] && l.cols[q].some(Number.isFinite))
        series.push({ label: who + (q === 'learning_rate' ? q : 'train'), color,
                      xs: l.cols.epoch, ys: l.cols[q], dash: q === 'learning_rate' ? '' : '5 3' });
      if (l.cols['val_' + q] && l.cols['val_' + q].some(Number.isFinite))
        series.push({ label: who + 'validation', color, xs: l.cols.epoch, ys: l.cols['val_' + q] });
    });
    if (series.length)
      charts.append(chart(q, series, { logY: state.logY, zoom: state.zoom }));
  }
  main.append($('div', { class: 'bar' },
    $('label', {}, $('input', { type: 'checkbox', id: 'log-y', checked: state.logY,
                                onchange: ev => { state.logY = ev.target.checked; render(); } }),
      ' log scale'),
    state.zoom ? $('button', { onclick: () => { state.zoom = null; render(); } },
                   `epochs ${fmt(state.zoom[0])}–${fmt(state.zoom[1])}: show all`)
               : $('span', { class: 'muted' }, 'drag across a chart to zoom, double-click to reset')),
    charts);
}

async function loadHistory(id) {
  try {
    return { id, cols: history(await fetchText('/api/history?run=' + encodeURIComponent(id))) };
  } catch (e) {
    return { id, cols: {} };
  }
}

function confusion(run) {
  const f = run.final || {};
  const split = f.validation?.confusion_matrix ? 'validation' : f.train?.confusion_matrix ? 'train' : null;
  if (!split) return null;
  const m = f[split].confusion_matrix;
  return $('div', {}, $('h2', {}, `Confusion matrix (${split}: rows true, columns predicted)`),
    $('table', { class: 'cm' }, m.map(row => {
      const total = row.reduce((a, b) => a + b, 0) || 1;
      return $('tr', {}, row.map(v => {
        const td = $('td', {}, v);
        td.style.background = `rgba(36, 99, 235, ${(v / total * 0.8).toFixed(2)})`;
        return td;
      }));
    })));
}

async function viewRun(main, id) {
  const run = state.list.runs.find(r => r.id === id) || { id, params: {}, status: '?' };
  crumbs({ label: 'runs', href: '#/' }, run.sweep ? { label: run.sweep, href: '#/sweep/' + run.sweep } : '',
         { label: id.replace(/^\d+\//, '') });
  const [loaded, config] = await Promise.all([loadHistory(id),
    fetchText(fileUrl(id, 'config.yaml')).catch(() => '')]);
  main.append($('h2', {}, run.name || id, ' ', $('span', { class: 'status ' + run.status }, run.status)),
    $('p', { class: 'muted' }, `${loaded.cols.epoch?.length ?? 0} of ${run.epochs_planned} epochs`));
  curves(main, [loaded]);
  const cm = confusion(run);
  if (cm) main.append(cm);
  main.append($('h2', {}, 'config.yaml'), $('pre', { class: 'config' }, config));
}

async function viewCompare(main, ids) {
  crumbs({ label: 'runs', href: '#/' }, { label: 'compare ' + ids.length + ' runs' });
  curves(main, await Promise.all(ids.map(loadHistory)));
}

async function viewSweep(main, id) {
  const sweep = state.list.sweeps.find(s => s.id === id) || { id, metric: '', best_trial: -1 };
  crumbs({ label: 'runs', href: '#/' }, { label: id.replace(/^\d+\//, '') });
  const text = await fetchText(fileUrl(id, 'trials.csv')).catch(() => '');
  main.append($('h2', {}, 'Sweep ', id.replace(/^\d+\//, '')), $('p', { class: 'muted' }, sweep.best));
  if (!text) { main.append($('p', {}, 'no trials yet')); return; }
  const { header, rows } = parseCsv(text);
  const cols = header.map((h, i) => ({
    key: h, label: h, num: !['status', 'reason'].includes(h),
    get: r => ['status', 'reason'].includes(h) ? r[i] : Number(r[i]),
    cell: h === 'trial' ? r => $('a', { href: `#/run/${id}/trials/${String(r[i]).padStart(4, '0')}` }, r[i])
                        : null,
  }));
  main.append(table('trials', cols, rows));
  const metric = sweep.metric || header.find(h => h.startsWith('val_') && h !== 'val_loss') || 'loss';
  const mi = header.indexOf(metric), params = header.slice(2, header.indexOf('loss'));
  const charts = $('div', { class: 'charts' });
  for (const p of params) {
    const pi = header.indexOf(p);
    const xs = rows.map(r => Number(r[pi])), ys = rows.map(r => Number(r[mi]));
    const pos = xs.filter(x => x > 0);
    const logX = pos.length === xs.length && Math.max(...pos) / Math.min(...pos) >= 10;
    charts.append(chart(`${metric} against ${p}`, [{ label: '', color: COLORS[0], xs, ys }],
                        { scatter: true, xLabel: p, logX }));
  }
  main.append($('h2', {}, `${metric} against each parameter`), charts);
  if (sweep.best_trial >= 0) {
    const best = `${id}/trials/${String(sweep.best_trial).padStart(4, '0')}`;
    main.append($('h2', {}, 'Best trial: ', $('a', { href: '#/run/' + best }, 'trial ' + sweep.best_trial)));
    curves(main, [await loadHistory(best)]);
  }
}

// ---- the page -------------------------------------------------------------

let rendering = Promise.resolve();
function render() {
  rendering = rendering.then(async () => {
    const main = document.getElementById('view');
    const fresh = $('main', { id: 'view' });
    const [, kind, rest] = location.hash.match(/^#\/(run|compare|sweep)\/(.*)$/) || [];
    try {
      if (kind === 'run') await viewRun(fresh, decodeURIComponent(rest));
      else if (kind === 'compare') await viewCompare(fresh, decodeURIComponent(rest).split(','));
      else if (kind === 'sweep') await viewSweep(fresh, decodeURIComponent(rest));
      else viewRuns(fresh);
    } catch (e) {
      fresh.append($('p', {}, String(e)));
    }
    // The element in focus is made anew: it keeps the focus, and a text
    // field its caret, without which typing would go in at its start.
    const active = document.activeElement;
    const caret = typeof active?.selectionStart === 'number' &&
      [active.selectionStart, active.selectionEnd];
    main.replaceWith(fresh);
    const again = active?.id && document.getElementById(active.id);
    if (again) {
      again.focus();
      if (caret) again.setSelectionRange(...caret);
    }
    document.body.dataset.view = kind || 'runs';
  });
  return rendering;
}

async function refresh() {
  try {
    state.list = JSON.parse(await fetchText('/api/runs'));
  } catch (e) { /* the server went away: the events reconnect */ }
  return render();
}

window.addEventListener('hashchange', () => { state.zoom = null; render(); });
const events = new EventSource('/api/events');
const live = document.getElementById('live');
events.onopen = () => { live.textContent = 'live'; live.className = 'on'; };
events.onerror = () => { live.textContent = 'reconnecting'; live.className = ''; };
events.addEventListener('change', refresh);
refresh();

// The dashboard page's script, inline in page.ts: follows the server's Server-Sent Events (an
// `init` message with the history, then a `tick` per poll; EventSource reconnects by itself and
// the server sends `init` again), keeps the points and events, and redraws every panel from them.
// Line charts are drawn by hand on <canvas> (scaled for the device pixel ratio), one line per
// shard in a colour that stays the shard's. Written without template literals, so it can sit in
// a TypeScript template string as is.

export const DASHBOARD_SCRIPT = String.raw`
'use strict';
(function () {
  var MAX_POINTS = 600, MAX_EVENTS = 200, MIN_SPAN_MS = 60000;
  var PALETTE = ['#58a6ff', '#3fb950', '#d29922', '#f778ba', '#a371f7', '#39c5cf', '#ff7b72', '#e3b341', '#7ee787', '#79c0ff'];
  var points = [], events = [], state = null, colors = {}, nextColor = 0;
  var CHARTS = [
    { id: 'ops', field: 'ops', fmt: fmtNum },
    { id: 'hit', field: 'hit', fmt: fmtPct, max: 1 },
    { id: 'mem', field: 'mem', fmt: fmtBytes },
    { id: 'evict', field: 'evict', fmt: fmtNum }
  ];
  var KIND_CLASS = {
    'cluster-unreachable': 'bad', 'node-down': 'bad', 'node-failed': 'bad', 'node-restarted': 'warn', 'failover': 'warn',
    'demoted': 'warn', 'cluster-reachable': 'ok', 'node-up': 'ok', 'node-recovered': 'ok', 'epoch': 'info', 'slots': 'info',
    'shard-added': 'info', 'shard-removed': 'info', 'node-added': 'info', 'node-removed': 'info',
    'migration-started': 'info', 'migration-finished': 'ok'
  };

  function $(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
  }
  function fmtNum(n) {
    if (n === null || n === undefined || !isFinite(n)) return '–';
    var a = Math.abs(n);
    if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 1 : 2) + 'M';
    if (a >= 1e4) return (n / 1e3).toFixed(a >= 1e5 ? 0 : 1) + 'k';
    if (a >= 100) return String(Math.round(n));
    return String(Math.round(n * 10) / 10);
  }
  function fmtPct(r) { return r === null || r === undefined ? '–' : (r * 100).toFixed(1) + '%'; }
  function fmtBytes(n) {
    if (n === null || n === undefined) return '–';
    var units = ['B', 'KB', 'MB', 'GB', 'TB'], i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(Math.round(n)) : n.toFixed(n >= 100 ? 0 : 1)) + ' ' + units[i];
  }
  function fmtTime(ms) {
    var d = new Date(ms);
    function two(x) { return (x < 10 ? '0' : '') + x; }
    return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }
  function colorOf(shard) {
    if (!(shard in colors)) colors[shard] = PALETTE[nextColor++ % PALETTE.length];
    return colors[shard];
  }
  function shortName(id) { return id.replace(/^(127\.0\.0\.1|localhost):/, ':'); }
  function text(id, v) { var el = $(id); if (el.textContent !== v) el.textContent = v; }

  // ---- charts ----------------------------------------------------------------------------------

  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  function drawChart(chart) {
    var canvas = $('chart-' + chart.id);
    var w = canvas.clientWidth, h = canvas.clientHeight;
    if (w === 0 || h === 0) return;
    var dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    var ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    var shards = state && state.shards ? state.shards.map(function (s) { return s.id; }) : [];
    var last = points.length ? points[points.length - 1].at : Date.now();
    var first = points.length ? points[0].at : last;
    var span = Math.max(MIN_SPAN_MS, last - first), t0 = last - span;
    var top = 0;
    points.forEach(function (p) {
      shards.forEach(function (s) { var v = p.shards[s] && p.shards[s][chart.field]; if (v !== null && v !== undefined && v > top) top = v; });
    });
    var ymax = chart.max || niceMax(top * 1.1);
    ctx.font = '11px system-ui, sans-serif';
    var labels = [0, 0.5, 1].map(function (f) { return chart.fmt(ymax * f); });
    var left = 6 + Math.max.apply(null, labels.map(function (l) { return ctx.measureText(l).width; }));
    var right = 8, topPad = 8, bottom = 18;
    var pw = w - left - right, ph = h - topPad - bottom;
    ctx.strokeStyle = '#263341'; ctx.fillStyle = '#8a9aab'; ctx.lineWidth = 1;
    ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
    [0, 0.5, 1].forEach(function (f, i) {
      var y = Math.round(topPad + ph - f * ph) + 0.5;
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(w - right, y); ctx.stroke();
      ctx.fillText(labels[i], left - 4, y);
    });
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'left'; ctx.fillText('-' + Math.round(span / 1000) + 's', left, h - 4);
    ctx.textAlign = 'right'; ctx.fillText(points.length ? fmtTime(last) : '', w - right, h - 4);
    function x(at) { return left + ((at - t0) / span) * pw; }
    function y(v) { return topPad + ph - (Math.min(v, ymax) / ymax) * ph; }
    ctx.lineWidth = 1.8; ctx.lineJoin = 'round';
    shards.forEach(function (s) {
      ctx.strokeStyle = colorOf(s);
      ctx.beginPath();
      var pen = false;
      points.forEach(function (p) {
        var v = p.shards[s] ? p.shards[s][chart.field] : null;
        if (v === null || v === undefined) { pen = false; return; }
        if (pen) ctx.lineTo(x(p.at), y(v)); else ctx.moveTo(x(p.at), y(v));
        pen = true;
      });
      ctx.stroke();
    });
    var lastPoint = points.length ? points[points.length - 1] : null;
    canvas.dataset.points = String(points.length);
    canvas.setAttribute('aria-label', chart.id + ' per shard');
    var legend = shards.map(function (s) {
      var v = lastPoint && lastPoint.shards[s] ? lastPoint.shards[s][chart.field] : null;
      return '<span data-shard="' + esc(s) + '"><i style="background:' + colorOf(s) + '"></i>' + esc(shortName(s)) + '<b>' + esc(chart.fmt(v)) + '</b></span>';
    }).join('');
    var el = $('legend-' + chart.id);
    if (el.innerHTML !== legend) el.innerHTML = legend;
  }

  function drawCharts() { CHARTS.forEach(drawChart); }

  // ---- panels ----------------------------------------------------------------------------------

  function renderHeader() {
    var err = $('error');
    if (state && state.error) { err.hidden = false; err.textContent = 'cannot read the cluster: ' + state.error; }
    else err.hidden = true;
    if (!state || state.epoch === null) return;
    var t = state.totals;
    text('total-ops', fmtNum(t.opsPerSec));
    text('hit-ratio', fmtPct(t.hitRatio));
    text('nodes-up', t.nodesUp + ' / ' + t.nodesTotal);
    $('nodes-up').style.color = t.nodesUp < t.nodesTotal ? '#ffa198' : '';
    text('epoch', String(state.epoch));
    text('memory', fmtBytes(t.usedMemory));
    text('keys', fmtNum(t.keys));
    text('evictions', fmtNum(t.evictionsPerSec));
    $('total-ops').dataset.value = String(t.opsPerSec);
    var c = $('controller');
    if (state.controller) { c.style.display = ''; c.className = 'live on'; c.textContent = 'controller ' + state.controller; }
  }

  function statusOf(n) {
    if (!n.reachable) return n.failed ? 'failed' : 'down';
    if (n.failed) return 'failed';
    if (n.role === 'replica' && n.linkUp === false) return 'lagging';
    return 'up';
  }

  function renderTopology() {
    var rows = [];
    if (state && state.shards) {
      state.shards.forEach(function (s) {
        var nodes = state.nodes.filter(function (n) { return n.shard === s.id; });
        nodes.forEach(function (n, i) {
          var st = statusOf(n), label = st === 'lagging' ? 'link down' : st;
          rows.push('<tr data-node="' + esc(n.address) + '" data-role="' + n.role + '" data-status="' + st + '"' + (i === 0 ? ' class="first"' : '') + '>' +
            '<td>' + (i === 0 ? '<i style="display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;background:' + colorOf(s.id) + '"></i>' + esc(s.id) : '') + '</td>' +
            '<td class="num">' + (i === 0 ? s.slots : '') + '</td>' +
            '<td>' + esc(n.address) + '</td>' +
            '<td><span class="pill ' + n.role + '">' + n.role + '</span></td>' +
            '<td><span class="pill ' + st + '">' + label + '</span></td>' +
            '<td class="num">' + fmtNum(n.opsPerSec) + '</td>' +
            '<td class="num">' + fmtBytes(n.usedMemory) + '</td>' +
            '<td class="num">' + fmtNum(n.keys) + '</td>' +
            '<td class="num">' + (n.role === 'replica' ? (n.lagBytes === null ? '–' : fmtBytes(n.lagBytes)) : '') + '</td></tr>');
        });
      });
    }
    var html = rows.join('');
    var body = $('topology').tBodies[0];
    if (body.innerHTML !== html) body.innerHTML = html;
    text('topology-note', state && state.epoch !== null ? 'epoch ' + state.epoch + ', ' + state.shards.length + ' shards' : '');
  }

  function renderImbalance() {
    if (!state || state.epoch === null) return;
    function x(v) { return v === null ? '–' : v.toFixed(2) + '×'; }
    text('imbalance-keys', x(state.imbalance.keys));
    text('imbalance-ops', x(state.imbalance.ops));
    text('imbalance-slots', x(state.imbalance.slots));
    var maxKeys = Math.max.apply(null, [1].concat(state.shards.map(function (s) { return s.keys; })));
    var html = state.shards.map(function (s) {
      return '<div class="bar" title="' + esc(s.id) + '"><span class="name">' + esc(shortName(s.id)) + ' keys</span><div class="track"><div style="width:' +
        (100 * s.keys / maxKeys).toFixed(1) + '%;background:' + colorOf(s.id) + '"></div></div><span>' + fmtNum(s.keys) + '</span></div>';
    }).join('');
    var el = $('shard-bars');
    if (el.innerHTML !== html) el.innerHTML = html;
  }

  function renderHotKeys() {
    var keys = state && state.hotKeys ? state.hotKeys : [];
    var html = keys.map(function (k) {
      return '<tr><td class="key" title="' + esc(k.key) + '">' + esc(k.key) + '</td><td>' + esc(shortName(k.shard)) + '</td><td class="num">' + fmtNum(k.opsPerSec) + '</td></tr>';
    }).join('');
    var body = $('hotkeys').tBodies[0];
    if (body.innerHTML !== html) body.innerHTML = html;
    $('hotkeys-empty').hidden = keys.length > 0;
  }

  function renderMigrations() {
    var m = state ? state.migration : null, html;
    if (!m) html = '<div class="empty">no resharding in progress</div>';
    else {
      var moved = m.totalSlots - m.slotsLeft;
      var meta = moved + ' / ' + m.totalSlots + ' slots moved';
      if (m.bytesPerSec !== null) meta += ', ' + fmtBytes(m.bytesPerSec) + '/s';
      if (m.etaMs !== null) meta += ', eta ' + Math.round(m.etaMs / 1000) + ' s';
      if (m.lastError) meta += ', last error: ' + m.lastError;
      html = '<div class="migration" data-testid="migration" data-plan="' + esc(m.plan) + '"><div><b>' + esc(m.kind) + '</b> ' + esc(m.plan) +
        ' <span class="pill">' + esc(m.state) + '</span> ' + (m.progress * 100).toFixed(1) + '%</div>' +
        '<div class="track" data-testid="migration-progress"><div style="width:' + (m.progress * 100).toFixed(1) + '%"></div></div>' +
        '<div class="meta">' + esc(meta) + '</div></div>';
    }
    var el = $('migrations');
    if (el.innerHTML !== html) el.innerHTML = html;
  }

  function renderTimeline() {
    var html = events.slice().reverse().map(function (e) {
      return '<li data-kind="' + esc(e.kind) + '"' + (e.node ? ' data-node="' + esc(e.node) + '"' : '') + '><time>' + fmtTime(e.at) + '</time>' +
        '<span class="kind ' + (KIND_CLASS[e.kind] || '') + '">' + esc(e.kind) + '</span><span class="text">' + esc(e.text) + '</span></li>';
    }).join('');
    var el = $('timeline');
    if (el.innerHTML !== html) el.innerHTML = html;
    $('timeline-empty').hidden = events.length > 0;
  }

  function render() {
    renderHeader();
    drawCharts();
    renderTopology();
    renderImbalance();
    renderHotKeys();
    renderMigrations();
    renderTimeline();
  }

  function setLive(on, why) {
    var el = $('live');
    el.className = on ? 'live on' : 'live';
    el.textContent = on ? 'live' : why;
  }

  function connect() {
    var source = new EventSource('events');
    source.addEventListener('init', function (e) {
      var d = JSON.parse(e.data);
      points = d.points || []; events = d.events || []; state = d.state;
      setLive(true); render();
    });
    source.addEventListener('tick', function (e) {
      var d = JSON.parse(e.data);
      points.push(d.point);
      if (points.length > MAX_POINTS) points.splice(0, points.length - MAX_POINTS);
      events = events.concat(d.events);
      if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
      state = d.state;
      setLive(true); render();
    });
    source.onerror = function () { setLive(false, 'reconnecting'); };
  }

  var resizeTimer = 0;
  window.addEventListener('resize', function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawCharts, 100); });
  connect();
})();
`;

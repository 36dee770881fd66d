// The dashboard page: one HTML document with its CSS and script inline (page-script.ts), shipped
// in dist/ as a string, so the package serves it with no copy step, no CDN and no front-end
// library. The layout is a CSS grid of cards that folds to one column on a phone (meta viewport,
// min() column widths, wide tables scroll inside their card). Elements the system test reads
// carry ids and data-testid attributes.

import { DASHBOARD_SCRIPT } from './page-script.js';

const STYLE = String.raw`
:root {
  --bg: #0f1720; --card: #17212c; --line: #263341; --text: #e3e9ef; --dim: #8a9aab;
  --ok: #3fb950; --warn: #d29922; --bad: #f85149; --accent: #58a6ff;
  color-scheme: dark;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 20px; padding: 12px 16px; border-bottom: 1px solid var(--line); background: #121b25; position: sticky; top: 0; z-index: 2; }
header h1 { font-size: 17px; margin: 0; font-weight: 600; letter-spacing: .2px; }
header h1 span { color: var(--dim); font-weight: 400; }
.live { display: inline-flex; align-items: center; gap: 6px; font-size: 12px; color: var(--dim); }
.live::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--bad); }
.live.on::before { background: var(--ok); }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 120px), 1fr)); gap: 8px; padding: 12px 16px 0; }
.figure { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; min-width: 0; }
.figure .label { font-size: 11px; text-transform: uppercase; letter-spacing: .5px; color: var(--dim); }
.figure .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 360px), 1fr)); gap: 12px; padding: 12px 16px 24px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 300px), 1fr)); gap: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px; min-width: 0; }
.card h2 { font-size: 13px; margin: 0 0 8px; font-weight: 600; color: var(--dim); text-transform: uppercase; letter-spacing: .5px; display: flex; justify-content: space-between; gap: 8px; }
.card h2 small { text-transform: none; letter-spacing: 0; font-weight: 400; }
.wide { grid-column: 1 / -1; }
canvas { display: block; width: 100%; height: 170px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 6px; font-size: 12px; color: var(--dim); }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.legend b { color: var(--text); font-weight: 500; font-variant-numeric: tabular-nums; margin-left: 4px; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-size: 11px; color: var(--dim); font-weight: 500; text-transform: uppercase; letter-spacing: .4px; }
td.num, th.num { text-align: right; }
tr.first td { border-top: 2px solid var(--line); }
.key { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; max-width: 260px; overflow: hidden; text-overflow: ellipsis; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #223041; }
.pill.primary { background: #1f3a5f; color: #a5d0ff; }
.pill.up { background: #17351f; color: #7ee29a; }
.pill.down, .pill.failed { background: #4a1c1c; color: #ffa198; }
.pill.lagging { background: #43361a; color: #f0c674; }
.bars { display: grid; gap: 6px; }
.bar { display: grid; grid-template-columns: minmax(0, 9em) 1fr auto; gap: 8px; align-items: center; font-size: 12px; }
.bar .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--dim); }
.track { height: 10px; background: #223041; border-radius: 5px; overflow: hidden; }
.track > div { height: 100%; background: var(--accent); border-radius: 5px; transition: width .4s; }
.imb { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 8px; margin-bottom: 12px; }
.imb .value { font-size: 20px; }
.empty { color: var(--dim); font-style: italic; padding: 6px 0; }
ol.timeline { list-style: none; margin: 0; padding: 0; max-height: 360px; overflow-y: auto; }
ol.timeline li { display: grid; grid-template-columns: auto auto minmax(0, 1fr); gap: 10px; padding: 5px 0; border-bottom: 1px solid var(--line); align-items: baseline; }
ol.timeline time { color: var(--dim); font-variant-numeric: tabular-nums; font-size: 12px; }
ol.timeline .text { overflow-wrap: anywhere; }
.kind { font-size: 11px; padding: 1px 6px; border-radius: 4px; background: #223041; color: var(--dim); white-space: nowrap; }
.kind.bad { background: #4a1c1c; color: #ffa198; }
.kind.warn { background: #43361a; color: #f0c674; }
.kind.ok { background: #17351f; color: #7ee29a; }
.kind.info { background: #1f3a5f; color: #a5d0ff; }
.migration { margin-bottom: 10px; }
.migration .meta { font-size: 12px; color: var(--dim); margin-top: 4px; }
.error { color: #ffa198; padding: 8px 16px 0; }
@media (max-width: 600px) {
  header { padding: 10px 12px; position: static; }
  .figures { padding: 10px 12px 0; grid-template-columns: repeat(2, minmax(0, 1fr)); }
  main, .charts { gap: 10px; }
  main { padding: 10px 12px 20px; }
  .figure .value { font-size: 19px; }
  .figures .figure:last-child:nth-child(odd) { grid-column: 1 / -1; }
  canvas { height: 150px; }
  th, td { padding: 4px 6px; }
  .key { max-width: 150px; }
  ol.timeline li { grid-template-columns: auto minmax(0, 1fr); }
  ol.timeline li .kind { grid-column: 2; grid-row: 1; justify-self: start; }
  ol.timeline li .text { grid-column: 1 / -1; }
}
`;

const BODY = String.raw`
<header>
  <h1>corral <span>dashboard</span></h1>
  <span id="live" class="live" data-testid="live">connecting</span>
  <span id="controller" class="live" style="display:none"></span>
</header>
<div id="error" class="error" data-testid="error" hidden></div>
<section class="figures" aria-label="cluster">
  <div class="figure"><div class="label">ops/s</div><div class="value" id="total-ops" data-testid="total-ops">–</div></div>
  <div class="figure"><div class="label">hit ratio</div><div class="value" id="hit-ratio" data-testid="hit-ratio">–</div></div>
  <div class="figure"><div class="label">nodes up</div><div class="value" id="nodes-up" data-testid="nodes-up">–</div></div>
  <div class="figure"><div class="label">epoch</div><div class="value" id="epoch" data-testid="epoch">–</div></div>
  <div class="figure"><div class="label">memory</div><div class="value" id="memory" data-testid="memory">–</div></div>
  <div class="figure"><div class="label">keys</div><div class="value" id="keys" data-testid="keys">–</div></div>
  <div class="figure"><div class="label">evictions/s</div><div class="value" id="evictions" data-testid="evictions">–</div></div>
</section>
<main>
  <div class="charts wide">
  <section class="card"><h2>ops/s per shard</h2><canvas id="chart-ops" data-testid="chart-ops"></canvas><div class="legend" id="legend-ops"></div></section>
  <section class="card"><h2>hit ratio per shard</h2><canvas id="chart-hit" data-testid="chart-hit"></canvas><div class="legend" id="legend-hit"></div></section>
  <section class="card"><h2>memory per shard (primary)</h2><canvas id="chart-mem" data-testid="chart-mem"></canvas><div class="legend" id="legend-mem"></div></section>
  <section class="card"><h2>evictions/s per shard</h2><canvas id="chart-evict" data-testid="chart-evict"></canvas><div class="legend" id="legend-evict"></div></section>
  </div>
  <section class="card wide"><h2>topology <small id="topology-note"></small></h2><div class="scroll"><table id="topology" data-testid="topology">
    <thead><tr><th>shard</th><th class="num">slots</th><th>node</th><th>role</th><th>status</th><th class="num">ops/s</th><th class="num">memory</th><th class="num">keys</th><th class="num">repl. lag</th></tr></thead>
    <tbody></tbody></table></div></section>
  <section class="card"><h2>imbalance <small>most / mean over primaries</small></h2>
    <div class="imb">
      <div class="figure"><div class="label">keys</div><div class="value" id="imbalance-keys" data-testid="imbalance-keys">–</div></div>
      <div class="figure"><div class="label">ops/s</div><div class="value" id="imbalance-ops" data-testid="imbalance-ops">–</div></div>
      <div class="figure"><div class="label">slots</div><div class="value" id="imbalance-slots" data-testid="imbalance-slots">–</div></div>
    </div>
    <div class="bars" id="shard-bars"></div></section>
  <section class="card"><h2>hot keys</h2><div class="scroll"><table id="hotkeys" data-testid="hotkeys">
    <thead><tr><th>key</th><th>shard</th><th class="num">ops/s</th></tr></thead><tbody></tbody></table></div>
    <div class="empty" id="hotkeys-empty">no key accessed in the last seconds</div></section>
  <section class="card"><h2>migrations</h2><div id="migrations" data-testid="migrations"><div class="empty">no resharding in progress</div></div></section>
  <section class="card wide"><h2>timeline <small>failovers and topology changes</small></h2><ol class="timeline" id="timeline" data-testid="timeline"></ol>
    <div class="empty" id="timeline-empty">nothing happened yet</div></section>
</main>
`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<title>corral dashboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
${BODY}
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;

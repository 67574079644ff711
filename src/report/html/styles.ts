// The page's stylesheet, inline (the CSP allows inline styles and nothing from elsewhere). Colour
// always comes with a word: tones colour compatibility words, verdicts have their own chips.
// Anything wider than a phone (420 px) scrolls inside its own box, never the page.
export const CSS = `
:root {
  --good-bg: #d3f5dc; --good-fg: #0f5323; --good-edge: #1a7f37;
  --needs-bg: #ffe8a3; --needs-fg: #5c3c00; --needs-edge: #bf8700;
  --bad-bg: #ffd7d5; --bad-fg: #82071e; --bad-edge: #cf222e;
  --none-bg: #e6e8eb; --none-fg: #424a53; --none-edge: #8c959f;
  --fail-bg: #8b0000; --fail-fg: #ffffff;
  --line: #d0d7de; --muted: #57606a; --code-bg: #f6f8fa; --text: #1f2328;
}
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1400px;
  padding: 16px 24px 64px; color: var(--text); background: #fff; overflow-wrap: break-word; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
h4 { font-size: 13px; margin: 14px 0 4px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
h5 { margin: 6px 0 2px; font-size: 12px; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow-x: auto;
  margin: 4px 0 8px; overflow-wrap: normal; }
.meta { color: var(--muted); margin: 2px 0; }
.scroll, .matrix-box { max-width: 100%; overflow-x: auto; }
.matrix-box { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0 10px; width: fit-content; }
.matrix-box table.matrix { margin: 0; }
table { border-collapse: collapse; margin: 4px 0 8px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--code-bg); font-weight: 600; }
table.matrix td { padding: 2px; min-width: 140px; }
table.matrix th[scope=row] { min-width: 150px; max-width: 220px; position: sticky; left: 0; z-index: 1; }
.prov-label { display: block; font-weight: 400; font-size: 11px; color: var(--muted); margin-top: 2px; }
.empty { color: var(--muted); text-align: center; }
.word, .status { display: inline-block; border-radius: 10px; padding: 0 7px; font-size: 12px; font-weight: 600;
  border: 1px solid transparent; white-space: nowrap; }
.word.t-good, .slot.t-good { background: var(--good-bg); color: var(--good-fg); border-color: var(--good-edge); }
.word.t-needs-setting, .slot.t-needs-setting { background: var(--needs-bg); color: var(--needs-fg); border-color: var(--needs-edge); }
.word.t-bad, .slot.t-bad { background: var(--bad-bg); color: var(--bad-fg); border-color: var(--bad-edge); }
.word.t-none, .slot.t-none { background: var(--none-bg); color: var(--none-fg); border-color: var(--none-edge); }
.status.s-pass { background: #fff; color: var(--good-fg); border-color: var(--good-edge); }
.status.s-pass::before { content: "\\2713\\00a0"; }
.status.s-fail { background: var(--fail-bg); color: var(--fail-fg); border-color: var(--fail-bg); }
.status.s-fail::before { content: "\\2717\\00a0"; }
.status.s-skip { background: var(--none-bg); color: var(--none-fg); border-color: var(--none-edge); }
.slot { display: block; border: 1px solid transparent; border-left-width: 4px; border-radius: 4px; padding: 4px 6px;
  margin: 2px; text-decoration: none; color: inherit; }
.slot .word { border: 0; padding: 0 4px 0 0; background: transparent; color: inherit; font-size: 13px; }
.slot.s-fail { outline: 2px solid var(--fail-bg); outline-offset: -2px; }
a.slot:hover { filter: brightness(0.95); text-decoration: underline; }
.variant { font-weight: 400; opacity: .85; margin-right: 4px; }
.question { font-style: italic; margin: 4px 0; }
dl.legend, dl.env { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 6px 0; }
dl.legend div, dl.env div { display: flex; gap: 6px; align-items: baseline; }
dl.legend dd, dl.env dd { margin: 0; color: var(--muted); }
dl.env dt { font-weight: 600; }
dl.env dd { color: var(--text); }
.counts { font-weight: 600; }
.tag { display: inline-block; font-size: 11px; font-weight: 600; padding: 0 6px; border-radius: 10px;
  background: var(--needs-bg); color: var(--needs-fg); margin-left: 4px; }
.tag.bad { background: var(--bad-bg); color: var(--bad-fg); }
.tag.emulated { background: #ddf4ff; color: #0a3069; margin-left: 0; }
.tag.real { background: #fbefff; color: #512a97; margin-left: 0; }
details.cell { border: 1px solid var(--line); border-left-width: 6px; border-radius: 6px; margin: 6px 0; background: #fff; }
details.cell.t-good { border-left-color: var(--good-edge); }
details.cell.t-needs-setting { border-left-color: var(--needs-edge); }
details.cell.t-bad { border-left-color: var(--bad-edge); }
details.cell.t-none { border-left-color: var(--none-edge); }
details.cell.s-fail { border-color: var(--fail-bg); }
details.cell > summary { cursor: pointer; padding: 6px 10px; list-style-position: outside; margin-left: 14px; }
details.cell > summary .word, details.cell > summary .status { margin-right: 4px; }
details.cell > summary .title { color: var(--muted); }
details.cell[open] > summary { border-bottom: 1px solid var(--line); }
.body { padding: 4px 14px 12px; }
.body details { margin: 4px 0; }
.body details > summary { cursor: pointer; }
tr.failed td, tr.flagged td { background: #fff1f0; }
tr.nat td, .ln.nat { background: #fff4d6; }
.ln { display: inline-block; white-space: pre; min-width: 100%; }
pre.fix-text, pre.reason { white-space: pre-wrap; overflow-wrap: anywhere; }
p.fix-text { background: var(--code-bg); border-left: 3px solid var(--needs-edge); padding: 6px 10px; margin: 4px 0 8px; }
.ln[data-mark]::after { content: "  \\2190  " attr(data-mark); font-weight: 700; white-space: pre; }
.ln.ghost { background: var(--bad-bg); color: var(--bad-fg); }
.ln.noaddr { background: var(--needs-bg); color: var(--needs-fg); }
.ln.leftover { background: var(--none-bg); color: var(--none-fg); }
.ln.leftover[data-mark]::after { font-weight: 400; font-style: italic; }
.ln.self { font-weight: 600; }
.ln.head { color: var(--muted); }
.ln.bad { color: var(--bad-fg); }
.ln.info { color: #0550ae; }
.ln.repeat { color: var(--muted); font-style: italic; }
.ln.warn { background: var(--needs-bg); }
.omitted { color: var(--muted); font-size: 12px; margin: 0 0 8px; }
.bar { display: inline-block; height: 8px; background: #8c959f; border-radius: 2px; vertical-align: middle; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.verdicts { white-space: nowrap; }
ul.artifacts { columns: 2; margin: 4px 0; }
@media (max-width: 640px) { body { padding: 10px 10px 48px; } ul.artifacts { columns: 1; } }
.toolbar button { margin-right: 6px; }
.error { color: var(--bad-fg); }
figure.picture { margin: 8px 0; max-width: 720px; overflow-x: auto; }
/* Below 560 px the labels would shrink past reading: the picture keeps its size and scrolls in its box. */
figure.picture svg { display: block; width: 100%; min-width: 560px; height: auto; }
figure.picture.durations svg { min-width: 640px; }
figure.picture figcaption { font-size: 12px; color: var(--muted); }
svg text { font: 11px system-ui, sans-serif; fill: var(--text); }
svg text.small, svg text.lane-label { font-size: 10px; fill: var(--muted); }
svg text.box-title { font-weight: 700; font-size: 12px; }
svg text.bar-label { font: 10px ui-monospace, monospace; }
svg .box { fill: #fff; stroke: var(--none-edge); stroke-width: 1.5; }
svg .box.bad { fill: var(--bad-bg); stroke: var(--bad-edge); }
svg .box.warn { fill: var(--needs-bg); stroke: var(--needs-edge); }
svg .box.faded { fill: var(--code-bg); stroke: var(--line); stroke-dasharray: 4 3; }
svg .flow { stroke: var(--text); stroke-width: 1.5; fill: var(--text); }
svg .dial-back { stroke: var(--bad-edge); stroke-width: 1.5; stroke-dasharray: 5 3; fill: var(--bad-edge); }
svg .head { stroke-dasharray: none; }
svg text.dial-back-label { fill: var(--bad-fg); }
svg .axis { stroke: var(--muted); }
svg .mark { stroke-width: 2; }
svg .mark.fault, svg .mark.bad { stroke: var(--bad-edge); }
svg .mark.good { stroke: var(--good-edge); }
svg .mark.info { stroke: #0969da; }
svg text.label.fault, svg text.label.bad { fill: var(--bad-fg); }
svg text.label.good { fill: var(--good-fg); }
svg .error-window { fill: var(--bad-bg); stroke: var(--bad-edge); }
svg .failed-tick { stroke: var(--bad-fg); stroke-width: 1; }
svg .failed-span { fill: var(--bad-fg); fill-opacity: .45; }
svg .bar { fill: #8c959f; }
svg .bar.f-nat-meet { fill: #0969da; }
svg .bar.f-snat { fill: #8250df; }
svg .bar.f-recovery { fill: #1a7f37; }
svg .bar.f-sentinel { fill: #bf8700; }
svg a:hover text { text-decoration: underline; }
@media print { details.cell { break-inside: avoid; } .toolbar { display: none; } }
`;

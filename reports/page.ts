// The HTML shell of the reports: one self-contained file each (inline CSS, charts as inline SVG written in Node; no
// scripts, no network), so they open offline from disk and can be attached to a ticket.
import { renameSync, writeFileSync } from "node:fs";
import { esc } from "./svg.ts";

export { esc } from "./svg.ts";

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:16px auto;max-width:1400px;padding:0 16px;color:#1b1b1b;background:#fff}
h1{font-size:21px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #e5e5e5;padding-bottom:4px}h3{font-size:15px;margin:0}
.sub{color:#555;margin:0 0 10px}
table{border-collapse:collapse;font-size:12.5px;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 4px;text-align:right;white-space:nowrap}
th{background:#f5f5f5}td.l,th.l{text-align:left}
figure.chart{margin:10px 0}figure.chart figcaption{color:#555;font-size:12.5px;margin-top:4px}
details{margin:6px 0}summary{cursor:pointer}
code{background:#f3f3f3;padding:1px 4px;border-radius:3px;font-size:12.5px}
.verdict{font-weight:700;padding:1px 8px;border-radius:3px}.verdict-valid{background:#e3f4e8;color:#1b7f3b}.verdict-allowed{background:#fff1d6;color:#8a5300}.verdict-liveness,.verdict-bug{background:#fde2e4;color:#b00020}
.loss{color:#b00020;font-weight:600}.ok{color:#1b7f3b}
.stats{color:#333}.stats b{font-weight:600}
.group{border-left:4px solid #f4a261;background:#fffaf2;margin:8px 0;padding:6px 12px}.group.bug,.group.liveness{border-color:#b00020;background:#fff5f5}
.group>summary{font-size:15px}.group .why{margin:4px 0}.group .fix{margin:4px 0;color:#1b5e20}
.group ul{margin:4px 0;padding-left:20px}.group li{margin:1px 0}
.records a{margin-right:6px}
.anomaly{border-top:1px solid #eee;padding:4px 0}.anomaly pre{white-space:pre-wrap;margin:2px 0 0;font-size:12px;color:#333}
.findings li{margin:2px 0}
.scroll{overflow-x:auto;max-width:100%}
table.cmp{font-size:12px}table.cmp th{position:sticky;top:0;z-index:2}
table.cmp .sticky{position:sticky;background:#fff;z-index:1}table.cmp th.sticky{z-index:3;background:#f5f5f5}
table.cmp td.trade{white-space:normal;text-align:left;min-width:320px;max-width:400px;color:#333;font-size:11.5px;line-height:1.3}
table.cmp td.errs{white-space:normal;text-align:left;min-width:180px}
table.cmp tr.pareto td.rank{font-weight:700;color:#b5830a}
table.cmp th{white-space:normal;vertical-align:bottom}
`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
${body}
</body></html>
`;
}

export function figure(name: string, svg: string, caption: string): string {
  return `<figure class="chart" data-chart="${esc(name)}">${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

/** Writes atomically (temp file + rename) so a reader never sees half a report. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

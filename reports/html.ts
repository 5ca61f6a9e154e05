// The HTML reports (see page.ts for the shell): the comparison (compare-page.ts) and the single run
// (run-page.ts). One self-contained file each: inline CSS and SVG, no scripts, no network.
export { esc, writeFileAtomic } from "./page.ts";
export { compareHtml, compareTable, writeCompareHtml } from "./compare-page.ts";
export { MAX_ANOMALIES_SHOWN, runHtml } from "./run-page.ts";

import { html, type Html } from '../html.js';

export interface Series {
  /** A class in site.css that colours the line; each series also has its own dash pattern, so colour is never the only cue. */
  className: string;
  label: string;
  values: bigint[];
}

const W = 640, H = 280, LEFT = 8, RIGHT = 8, TOP = 12, BOTTOM = 28;

/**
 * A line chart as inline SVG, drawn on the server: no script, no inline
 * style (the pages' CSP forbids both), colours from site.css classes. The
 * SVG is one image with a title and a description; the figures themselves
 * are in the data table the page shows beside it, the text alternative.
 */
export function lineChart(input: { id: string; title: string; description: string; xLabels: string[]; series: Series[] }): Html {
  const max = input.series.flatMap((s) => s.values).reduce((m, v) => (v > m ? v : m), 0n);
  const n = input.xLabels.length;
  const x = (i: number) => LEFT + (n <= 1 ? 0 : (i * (W - LEFT - RIGHT)) / (n - 1));
  // A logarithmic scale: a budget of millions and the first hundreds spent from it are both readable on one chart.
  const top = Math.log10(1 + Number(max));
  const y = (v: bigint) => TOP + (H - TOP - BOTTOM) * (1 - (max === 0n ? 0 : Math.log10(1 + Number(v)) / top));
  const dashes = ['', '8 4', '2 4', '12 4 2 4', '4 4'];
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${input.id}-title ${input.id}-desc" focusable="false" preserveAspectRatio="xMidYMid meet">
<title id="${input.id}-title">${input.title}</title>
<desc id="${input.id}-desc">${input.description}</desc>
<line class="axis" x1="${LEFT}" y1="${H - BOTTOM}" x2="${W - RIGHT}" y2="${H - BOTTOM}"></line>
${input.series.map((s, k) => html`<polyline class="series ${s.className}" fill="none" stroke-width="3"${dashes[k % dashes.length] ? html` stroke-dasharray="${dashes[k % dashes.length]!}"` : ''} points="${s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"></polyline>
${s.values.map((v, i) => html`<circle class="series ${s.className}" cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5"></circle>`)}`)}
${input.xLabels.map((l, i) => (i === 0 || i === n - 1 ? html`<text class="tick" x="${x(i).toFixed(1)}" y="${H - 8}" text-anchor="${i === 0 ? 'start' : 'end'}">${l}</text>` : ''))}
</svg>
<figcaption><ul class="legend">${input.series.map((s, k) => html`<li><svg width="32" height="12" aria-hidden="true" focusable="false"><line class="series ${s.className}" x1="0" y1="6" x2="32" y2="6" stroke-width="3"${dashes[k % dashes.length] ? html` stroke-dasharray="${dashes[k % dashes.length]!}"` : ''}></line></svg> ${s.label}</li>`)}</ul></figcaption>
</figure>`;
}

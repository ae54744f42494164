// The live chart of a campaign: sends, deliveries, failures and replies per
// bucket (uPlot, steps not slopes), with the same figures in words below it.

import { fmt } from './dom.js';

/** "per minute", "per 5 minutes": the width of the timeline's buckets. */
function bucketLabel(tl) {
  const step = tl.minutes.length > 1 ? (tl.minutes[1] - tl.minutes[0]) / 60 : 1;
  return step === 1 ? 'per minute' : step % 60 === 0 ? `per ${step / 60} h` : `per ${step} minutes`;
}

/** The chart in words, for screen readers and for anyone who wants the figures. */
function chartSummary(tl, zone) {
  if (!tl.minutes.length) return 'Nothing sent yet.';
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  let peak = 0;
  tl.sent.forEach((n, i) => { if (n > tl.sent[peak]) peak = i; });
  const at = (sec) => new Date(sec * 1000).toLocaleTimeString(undefined, { timeZone: zone, hour: '2-digit', minute: '2-digit' });
  return `From ${at(tl.minutes[0])} to ${at(tl.minutes[tl.minutes.length - 1])} (${zone}), ${bucketLabel(tl)}: ${fmt(sum(tl.sent))} sent, ${fmt(sum(tl.delivered))} delivered, ${fmt(sum(tl.failed))} failed, ${fmt(sum(tl.replies))} replies; most sent at ${at(tl.minutes[peak])} (${fmt(tl.sent[peak])}).`;
}

export class LiveChart {
  constructor(container, summary) {
    this.container = container;
    this.summary = summary;
    this.plot = null;
    this.bucket = null;
  }
  update(tl, zone) {
    this.summary.textContent = chartSummary(tl, zone);
    // A quiet bucket on each side: a campaign that sent within one bucket
    // still gets a line, and the time axis a sensible span.
    const step = tl.minutes.length > 1 ? tl.minutes[1] - tl.minutes[0] : 60;
    const pad = (arr, v) => (arr.length ? [v, ...arr, v] : arr);
    const minutes = tl.minutes.length ? [tl.minutes[0] - step, ...tl.minutes, tl.minutes[tl.minutes.length - 1] + step] : [];
    const data = [minutes, pad(tl.sent, 0), pad(tl.delivered, 0), pad(tl.failed, 0), pad(tl.replies, 0)];
    // Not drawn while hidden (no width yet): drawn when shown.
    if (typeof window.uPlot !== 'function' || this.container.clientWidth === 0) return;
    const width = Math.max(260, this.container.clientWidth - 8);
    // A new bucket width changes the axis label: the chart is rebuilt for it.
    if (this.plot && (this.bucket !== bucketLabel(tl) || this.zone !== zone)) this.destroy();
    if (!this.plot) {
      this.bucket = bucketLabel(tl);
      this.zone = zone;
      const stepped = window.uPlot.paths && window.uPlot.paths.stepped ? window.uPlot.paths.stepped({ align: 1 }) : undefined;
      this.plot = new window.uPlot(
        {
          width,
          height: 240,
          scales: { x: { time: true } },
          // Axis times in the campaign's zone, as the summary below says (uPlot would use the browser's).
          tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), zone),
          // Ticks on whole minutes at least: the data has no finer grain than its buckets.
          axes: [{ incrs: [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800].filter((i) => i >= step) }, { label: `messages ${this.bucket}` }],
          // The legend names the series; the figures are in the summary below (no "--" when the cursor is away).
          legend: { live: false },
          // Steps, not slopes: each bucket's count holds for the bucket (a one-minute send is a block, not a triangle).
          series: [
            {},
            { label: 'Sent', stroke: '#2563eb', width: 3, paths: stepped },
            { label: 'Delivered', stroke: '#16a34a', width: 2, dash: [8, 4], paths: stepped },
            { label: 'Failed', stroke: '#dc2626', width: 2, paths: stepped },
            { label: 'Replies', stroke: '#d97706', width: 2, paths: stepped },
          ],
        },
        data,
        this.container,
      );
      this.onResize = () => this.plot && this.plot.setSize({ width: Math.max(260, this.container.clientWidth - 8), height: 240 });
      window.addEventListener('resize', this.onResize);
    } else {
      this.plot.setData(data);
    }
  }
  destroy() {
    if (this.onResize) window.removeEventListener('resize', this.onResize);
    if (this.plot) this.plot.destroy();
    this.plot = null;
  }
}


/**
 * The load generator, run as its own process by run.ts so that it does not
 * share an event loop with the server: signed webhook events fired with
 * autocannon. Prints one JSON line with the results.
 *
 * The mix: 60% text.delivery.confirmed for seeded messages, 30%
 * imessage.incoming replies from seeded recipients, 10% an unknown type; and
 * every 20th request repeats an earlier event byte for byte (a duplicate
 * delivery).
 */
import { writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { signatureHeader } from '../../src/provider/webhooks.ts';
import { benchPhone, type FireConfig, type FireResult } from './mix.ts';

const cfg = JSON.parse(process.argv[2]!) as FireConfig;
const okIds = new Set<string>();
const okIncoming = new Set<string>();

interface Prepared {
  id: string;
  body: string;
  incoming: boolean;
  headers: Record<string, string>;
}

/**
 * Requests are built and signed before the clock starts, so that the load
 * generator spends its CPU on sending, not on HMACs (the server still verifies
 * every one). One timestamp for all: well inside the 5-minute tolerance.
 */
function prepare(n: number): Prepared[] {
  const ts = Math.floor(Date.now() / 1000);
  const out: Prepared[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 20 === 19) {
      out.push(out[(i * 7919) % i]!);
      continue;
    }
    const id = `evt_${cfg.tag}_${i}`;
    const kind = i % 10;
    const k = (i * 31) % cfg.messages;
    let ev: unknown;
    let incoming = false;
    if (kind < 6) {
      ev = { id, type: 'text.delivery.confirmed', timestamp: ts, api_version: 'v2025.9.7', data: { from: cfg.line, to: benchPhone(k), message_id: `imsg_bench_${k}`, timestamp: ts } };
    } else if (kind < 9) {
      incoming = true;
      ev = { id, type: 'imessage.incoming', timestamp: ts, api_version: 'v2025.9.7', data: { from: benchPhone(k), to: cfg.line, body: `reply ${i}: sounds good`, timestamp: ts, attachments: [] } };
    } else {
      ev = { id, type: 'bench.unknown.event', timestamp: ts, api_version: 'v2025.9.7', data: { n: i } };
    }
    const body = JSON.stringify(ev);
    out.push({ id, body, incoming, headers: { 'content-type': 'application/json', 'contiguity-signature': signatureHeader(body, cfg.secret, ts) } });
  }
  return out;
}

// Enough for the run at up to 25k requests/s; wraps around (as duplicates) beyond.
const prepared = prepare(Math.min(1_000_000, cfg.durationSeconds * 25_000));
let next = 0;
let sentDuplicates = 0;

const instance = autocannon(
  {
    url: cfg.url,
    connections: cfg.connections,
    duration: cfg.durationSeconds,
    ...(cfg.overallRate ? { overallRate: cfg.overallRate } : {}),
    requests: [
      {
        method: 'POST',
        path: cfg.path,
        setupRequest(req, context) {
          const i = next++;
          if (i % 20 === 19 || i >= prepared.length) sentDuplicates++;
          const e = prepared[i % prepared.length]!;
          (context as { ev?: Prepared }).ev = e;
          return { ...req, body: e.body, headers: e.headers };
        },
        onResponse(status, _body, context) {
          const e = (context as { ev?: { id: string; incoming: boolean } }).ev;
          if (e && status >= 200 && status < 300) {
            okIds.add(e.id);
            if (e.incoming) okIncoming.add(e.id);
          }
        },
      },
    ],
  },
  (err, r) => {
    if (err) throw err;
    const result: FireResult = {
      requestsPerSecond: r['2xx'] / r.duration,
      ok2xx: r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      p50: r.latency.p50,
      p99: r.latency.p99,
      max: r.latency.max,
      durationSeconds: r.duration,
      distinctOk: okIds.size,
      distinctIncomingOk: okIncoming.size,
      duplicatesSent: sentDuplicates,
    };
    writeFileSync(cfg.idsFile, JSON.stringify({ ok: [...okIds], incoming: [...okIncoming] }));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
);
instance.on('error', (err) => {
  console.error(err);
  process.exit(1);
});

import { describe, expect, it } from 'vitest';
import type { RecorderStats } from '../records/recorder.js';
import { registerServerMetrics } from './server-metrics.js';

describe('registerServerMetrics', () => {
  it('reads the engine and the recorder at scrape time; dropped records are a counter', async () => {
    const stats: RecorderStats = {
      requestsWritten: 0,
      requestsCounted: 0,
      observationsWritten: 0,
      dropped: 0,
      rejected: 0,
      failures: 0,
      buffered: 3,
    };
    const engine = { version: 42, ready: true };
    const registry = registerServerMetrics({ engine, recorder: { stats } });
    let text = await registry.metrics();
    expect(text).toMatch(/^ipgate_snapshot_version 42$/m);
    expect(text).toMatch(/^ipgate_store_ready 1$/m);
    expect(text).toMatch(/^ipgate_records_buffered 3$/m);
    expect(text).toContain('# TYPE ipgate_records_dropped_total counter');
    expect(text).toMatch(/^ipgate_records_dropped_total 0$/m);
    Object.assign(stats, { dropped: 5 });
    Object.assign(engine, { version: 43, ready: false });
    text = await registry.metrics();
    expect(text).toMatch(/^ipgate_records_dropped_total 5$/m);
    expect(text).toMatch(/^ipgate_snapshot_version 43$/m);
    expect(text).toMatch(/^ipgate_store_ready 0$/m);
    Object.assign(stats, { dropped: 7 });
    expect(await registry.metrics()).toMatch(/^ipgate_records_dropped_total 7$/m);
    expect(text).toMatch(/^ipgate_records_rejected_total 0$/m);
    Object.assign(stats, { rejected: 2 });
    expect(await registry.metrics()).toMatch(/^ipgate_records_rejected_total 2$/m);
  });
});

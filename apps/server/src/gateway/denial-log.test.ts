import { describe, expect, it } from 'vitest';
import type { Logger } from '../log/logger.js';
import { logDenial } from './denial-log.js';
import type { PipelineOutcome } from './pipeline.js';

function recorded() {
  const lines: { fields: object; message: string }[] = [];
  const logger: Logger = {
    info: (fields, message) => lines.push({ fields, message }),
    warn: () => {},
    error: () => {},
  };
  return { lines, logger };
}

const outcome = (allow: boolean, wouldDeny: boolean) =>
  ({
    allow,
    wouldDeny,
    stage: 'tenant',
    reason: 'tenant-ip-not-listed',
    detail: undefined,
    client: { toString: () => '203.0.113.9' },
    api: { id: 'api_1' },
    key: { id: 'key_1' },
  }) as unknown as PipelineOutcome;

describe('logDenial', () => {
  it('says nothing of a request allowed, and the same fields for a denial and a would-be one', () => {
    const { lines, logger } = recorded();
    logDenial(logger, outcome(true, false), 'req_1');
    logDenial(logger, outcome(false, false), 'req_2');
    logDenial(logger, outcome(true, true), 'req_3', 'nginx');
    const fields = {
      stage: 'tenant',
      reason: 'tenant-ip-not-listed',
      detail: undefined,
      client: '203.0.113.9',
      apiId: 'api_1',
      keyId: 'key_1',
    };
    expect(lines).toEqual([
      { fields: { requestId: 'req_2', ...fields }, message: 'request denied' },
      {
        fields: { requestId: 'req_3', proxy: 'nginx', ...fields },
        message: 'request would be denied; passed (report-only)',
      },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { SuiteResources } from './suite-resources.js';

describe('SuiteResources', () => {
  it('closes what was added, newest first', async () => {
    const started = new SuiteResources();
    const closed: string[] = [];
    expect(await started.add('server', (t) => void closed.push(t))).toBe('server');
    expect(await started.add(Promise.resolve('proxy'), (t) => void closed.push(t))).toBe('proxy');
    await started.closeAll();
    expect(closed).toEqual(['proxy', 'server']);
    expect(started.ended).toBe(true);
  });

  it('a start that finishes after the suite ended is closed at once and stops its hook', async () => {
    const started = new SuiteResources();
    let finish: (v: string) => void = () => {};
    const late = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const closed: string[] = [];
    const adding = started.add(late, (t) => void closed.push(t), 'the decision server');
    // The hook timed out: afterAll runs while the start is still on its way.
    await started.closeAll();
    expect(closed).toEqual([]);
    finish('server');
    await expect(adding).rejects.toThrow(/suite ended .* before the decision server had started; closed it/);
    expect(closed).toEqual(['server']);
    // Nothing is closed twice.
    await started.closeAll();
    expect(closed).toEqual(['server']);
  });

  it('runs every closer when some fail, and throws what failed', async () => {
    const started = new SuiteResources();
    const closed: string[] = [];
    await started.add('a', () => void closed.push('a'));
    await started.add('b', () => {
      throw new Error('b broke');
    });
    await started.add('c', () => void closed.push('c'));
    await expect(started.closeAll()).rejects.toThrow(/closing a resource failed/);
    expect(closed).toEqual(['c', 'a']);
  });

  it('several failures come back together', async () => {
    const started = new SuiteResources();
    for (const name of ['x', 'y'])
      await started.add(name, () => {
        throw new Error(`${name} broke`);
      });
    const failure = await started.closeAll().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AggregateError);
    expect((failure as AggregateError).errors).toHaveLength(2);
  });
});

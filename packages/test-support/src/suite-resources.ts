/**
 * What a test suite started (servers, child processes, temp dirs), closed by its `afterAll` — and
 * also what a start finishes only after `afterAll` ran.
 *
 * Why: on a loaded machine a `beforeAll` can outlast its hook timeout. Vitest then fails the suite
 * and runs `afterAll`, but the hook's body goes on: the server it was starting comes up later, and
 * the proxy it spawns next is never stopped. Such a server kept the test worker alive, so the run
 * stalled for minutes instead of ending with the failure, and an nginx outlived the run. Here a start
 * that finishes after the suite's end is closed at once and its hook stops with an error saying so.
 *
 * @example
 * const started = new SuiteResources();
 * beforeAll(async () => {
 *   s = await started.add(startDecisionServer(), (server) => server.close());
 * }, 120_000);
 * afterAll(() => started.closeAll());
 */
export class SuiteResources {
  #closers: { readonly what: string; readonly close: () => Promise<void> | void }[] = [];
  #ended = false;

  /** Whether `closeAll` ran: what is added from now on is closed at once. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Waits for `starting` and keeps its result to close with `close`; when the suite ended meanwhile,
   * closes it at once and rejects, so the rest of the hook does not start more.
   */
  async add<T>(
    starting: T | Promise<T>,
    close: (thing: T) => Promise<void> | void,
    what = 'a resource',
  ): Promise<T> {
    const thing = await starting;
    if (this.#ended) {
      await close(thing);
      throw new Error(`the suite ended (its beforeAll timed out?) before ${what} had started; closed it`);
    }
    this.#closers.push({ what, close: () => close(thing) });
    return thing;
  }

  /**
   * Closes everything added, newest first; every closer runs even when one fails, and the failures
   * are thrown together after.
   */
  async closeAll(): Promise<void> {
    this.#ended = true;
    const failures: unknown[] = [];
    for (const { what, close } of this.#closers.splice(0).reverse()) {
      try {
        await close();
      } catch (e) {
        failures.push(new Error(`closing ${what} failed`, { cause: e }));
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, 'closing the suite resources failed');
  }
}

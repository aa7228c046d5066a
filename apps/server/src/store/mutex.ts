/**
 * A first-come, first-served async lock.
 *
 * better-sqlite3 runs one connection synchronously, but a Kysely transaction body awaits between its
 * statements; without this lock a second transaction's statements could run inside the first one's
 * open transaction on the same connection.
 *
 * @example
 * const mutex = new Mutex();
 * await mutex.run(async () => { ... }); // bodies never overlap
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `body` once every earlier body has settled; its result or error is passed through. */
  run<T>(body: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(body);
    // The next body waits for this one to settle, whether it fulfilled or rejected.
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

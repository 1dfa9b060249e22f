/**
 * In-process async locks by key. A caller that takes several takes them in one fixed order
 * (the file store: the user's lock, then session locks), so two operations never wait on
 * each other in a cycle.
 */
export class KeyedLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string | undefined, task: () => Promise<T>): Promise<T> {
    if (key === undefined) return task();
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

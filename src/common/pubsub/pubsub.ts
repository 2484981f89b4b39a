/**
 * An in-process publish/subscribe with async iterators, for GraphQL subscriptions
 * (graphql-subscriptions is not installed). One process only: an API behind several replicas
 * would need Redis pub/sub behind the same interface.
 */
export class InProcessPubSub<T> {
  private readonly subscribers = new Set<(event: T) => void>();

  publish(event: T): void {
    for (const push of this.subscribers) push(event);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Events published from now on that pass `filter`, until the consumer stops iterating. */
  subscribe(filter: (event: T) => boolean = () => true, maxQueue = 1000): AsyncIterableIterator<T> {
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const push = (event: T) => {
      if (!filter(event)) return;
      if (queue.length >= maxQueue) queue.shift(); // a slow consumer loses the oldest events
      queue.push(event);
      wake?.();
    };
    this.subscribers.add(push);
    const stop = () => {
      done = true;
      this.subscribers.delete(push);
      wake?.();
    };
    const iterator: AsyncIterableIterator<T> = {
      next: async (): Promise<IteratorResult<T>> => {
        while (!done) {
          if (queue.length) return { value: queue.shift() as T, done: false };
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        return { value: undefined, done: true };
      },
      return: async (): Promise<IteratorResult<T>> => {
        stop();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}

/**
 * One connection per store doing `LISTEN harrier_queue`, shared by every watcher of that store:
 * any process that queues or releases an execution notifies in the same transaction, so idle
 * worker slots on every machine wake at its commit. A lost connection is made again (with
 * back-off); watchers are called once it is back, since a notification may have been missed.
 */
import type { Client } from 'pg';

export const QUEUE_CHANNEL = 'harrier_queue';

const RETRY_MS = { first: 100, max: 5_000 };

export class QueueListener {
  private readonly watchers = new Set<() => void>();
  private readonly newClient: () => Client;
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MS.first;

  constructor(newClient: () => Client) {
    this.newClient = newClient;
  }

  /** Adds a watcher, connecting first when it is the first; a connection that cannot be made throws. */
  async watch(onQueued: () => void): Promise<() => Promise<void>> {
    // While a lost connection is being made again, the new watcher joins the watchers it will wake.
    if (!this.client && !this.retryTimer) await this.connectOnce();
    this.watchers.add(onQueued);
    return async () => {
      this.watchers.delete(onQueued);
      if (this.watchers.size === 0) await this.stop();
    };
  }

  async stop(): Promise<void> {
    this.watchers.clear();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** One connection attempt at a time, shared by a first watcher and a reconnection. */
  private connectOnce(): Promise<void> {
    return this.connecting ??= this.connect().finally(() => { this.connecting = undefined; });
  }

  private async connect(): Promise<void> {
    const client = this.newClient();
    client.on('notification', () => this.notify());
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${QUEUE_CHANNEL}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    this.retryMs = RETRY_MS.first;
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) watcher();
  }

  private lost(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.watchers.size === 0 || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connectOnce().then(() => (this.watchers.size === 0 ? this.stop() : this.notify()), () => {
        this.retryMs = Math.min(this.retryMs * 2, RETRY_MS.max);
        this.scheduleReconnect();
      });
    }, this.retryMs);
    // A process with nothing else to do ends; watching must not keep it alive.
    this.retryTimer.unref();
  }
}

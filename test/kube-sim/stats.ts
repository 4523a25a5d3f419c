/** Request accounting: API requests by `verb resource`, and how many watches are open. */

export interface StatsSnapshot {
  /** e.g. `{ "create pods": 1, "get pods/log": 2, "watch pods": 1 }` */
  requests: Record<string, number>;
  total: number;
  watchesActive: number;
  watchesPeak: number;
  logStreamsActive: number;
  execSessionsActive: number;
}

export class Stats {
  private requests = new Map<string, number>();
  private watches = 0;
  private peak = 0;
  private logs = 0;
  private execs = 0;

  count(verb: string, resource: string): void {
    const key = `${verb} ${resource}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  watchOpened(): void {
    this.watches++;
    this.peak = Math.max(this.peak, this.watches);
  }

  watchClosed(): void {
    this.watches--;
  }

  logOpened(): void {
    this.logs++;
  }

  logClosed(): void {
    this.logs--;
  }

  execOpened(): void {
    this.execs++;
  }

  execClosed(): void {
    this.execs--;
  }

  snapshot(): StatsSnapshot {
    const requests = Object.fromEntries([...this.requests.entries()].sort(([a], [b]) => a.localeCompare(b)));
    const total = [...this.requests.values()].reduce((sum, n) => sum + n, 0);
    return { requests, total, watchesActive: this.watches, watchesPeak: this.peak, logStreamsActive: this.logs, execSessionsActive: this.execs };
  }

  /** Clears the request counts and the watch peak (open watches stay counted). */
  reset(): void {
    this.requests.clear();
    this.peak = this.watches;
  }
}

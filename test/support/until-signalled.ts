/**
 * Keeps a test service (the simulator, the real cluster) running until SIGTERM or SIGINT, then runs
 * its clean-up once and exits: 0 when the clean-up succeeded, 1 when it failed.
 */
export function stopOnSignal(name: string, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`${name}: clean-up after ${signal} failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // `npm run` passes SIGTERM to its script shell, which dies without passing it on: being
  // orphaned is the same request to stop.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown('parent exit');
  }, 500).unref();
}

/**
 * A cgroup (v1 freezer hierarchy) that holds every process a Process task starts, so that a kill
 * reaches those that left the task's process group or session (`setsid`, daemons): the group is
 * frozen, each member killed, then thawed. When harrier itself dies, a watcher in the cgroup kills
 * the rest (see wrap); whatever survives that is killed when the next attempt starts. Where no writable freezer hierarchy is mounted (no
 * cgroup v1, not root) tasks run without one, and only their process group is killed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';

const FREEZER_ROOT = '/sys/fs/cgroup/freezer';
const HARRIER_GROUP = 'harrier';
/** How long the members may take to disappear once killed and thawed. */
const EMPTY_TIMEOUT_MS = 5_000;
const POLL_MS = 20;

export class TaskCgroup {
  private readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Whether this machine mounts the hierarchy (whether this process may write it, create tells). */
  static available(root = FREEZER_ROOT): boolean {
    return existsSync(join(root, 'tasks'));
  }

  /** A fresh cgroup named `name`, or undefined when this machine offers none to this process. */
  static create(name: string, root = FREEZER_ROOT): TaskCgroup | undefined {
    if (!TaskCgroup.available(root)) return undefined;
    const dir = join(root, HARRIER_GROUP, name);
    try {
      mkdirSync(dir, { recursive: true });
      return new TaskCgroup(dir);
    } catch {
      return undefined;
    }
  }

  /**
   * Kills what is left in the cgroups whose names start with `prefix`, except `keep`: the processes
   * of an attempt whose harrier process died (SIGKILL) without ending them.
   */
  static async killLeftovers(prefix: string, keep: string, root = FREEZER_ROOT): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(join(root, HARRIER_GROUP));
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith(prefix) && name !== keep) await new TaskCgroup(join(root, HARRIER_GROUP, name)).killAll();
    }
  }

  /**
   * The command line that first moves itself into the cgroup, then becomes `command`: nothing it
   * starts can run outside the cgroup, however early it forks. Beside it, a watcher holds fd 3, a
   * pipe from harrier that nobody writes: when harrier dies (SIGKILL) the pipe closes, and the
   * watcher kills every other member of the cgroup.
   */
  wrap(command: string[]): string[] {
    // Kills until a round finds no one else left, for at most about five seconds.
    const watcher = 'read -r _ <&3; i=0; while [ $i -lt 100 ]; do n=0; for p in $(cat "$0"); do'
      + ' [ "$p" = $$ ] || { kill -9 "$p" 2>/dev/null && n=$((n+1)); }; done; [ $n = 0 ] && exit; i=$((i+1)); sleep 0.05; done';
    const script = `echo $$ > "$0"; sh -c '${watcher}' "$0" </dev/null >/dev/null 2>&1 & exec "$@" 3<&-`;
    return ['/bin/sh', '-c', script, join(this.dir, 'cgroup.procs'), ...command];
  }

  members(): number[] {
    try {
      return readFileSync(join(this.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** Kills every member, then removes the cgroup. Frozen first, so none can fork meanwhile. */
  async killAll(): Promise<void> {
    const deadline = Date.now() + EMPTY_TIMEOUT_MS;
    while (this.members().length > 0 && Date.now() < deadline) {
      this.setState('FROZEN');
      for (const pid of this.members()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      this.setState('THAWED');
      await sleep(POLL_MS);
    }
    try {
      rmdirSync(this.dir);
    } catch {
      // Still busy: a member in uninterruptible sleep; the empty directory is harmless.
    }
  }

  private setState(state: 'FROZEN' | 'THAWED'): void {
    try {
      writeFileSync(join(this.dir, 'freezer.state'), state);
    } catch {
      // A hierarchy without freezer.state: killing repeatedly still empties it.
    }
  }
}

/** `harrier run`'s status lines under the logs, on a terminal only (progress.ts says what they show). */
import type { ExecutionListener } from '../engine/index.ts';
import { TaskStatusBoard } from './progress.ts';
import type { BufferedWriter } from './terminal.ts';

/** The elapsed times tick once a second; looked at more often, drawn only when they changed. */
const REFRESH_MS = 250;

export interface LiveStatus {
  listener: Required<Pick<ExecutionListener, 'taskRunChanged' | 'progress'>>;
  /** Erases the lines for good. */
  stop(): void;
}

export function liveStatus(logs: BufferedWriter): LiveStatus {
  const board = new TaskStatusBoard();
  if (!logs.live) {
    return { listener: { taskRunChanged: () => undefined, progress: () => undefined }, stop: () => undefined };
  }
  logs.setFooter(() => board.lines(logs.colour, logs.columns));
  const timer = setInterval(() => logs.refreshFooter(), REFRESH_MS);
  timer.unref();
  return {
    listener: {
      taskRunChanged: (taskRun) => {
        board.taskRunChanged(taskRun);
        logs.refreshFooter();
      },
      progress: (taskRun, progress) => {
        board.progress(taskRun, progress);
        logs.refreshFooter();
      },
    },
    stop: () => {
      clearInterval(timer);
      logs.setFooter(undefined);
    },
  };
}

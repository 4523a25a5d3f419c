/** Flow files in, typed flows out: YAML, pluginDefaults, validation, model, in that order. */
import { readFile } from 'node:fs/promises';
import { FlowValidationError, HarrierError } from '../shared/errors.ts';
import type { FlowIssue } from '../shared/errors.ts';
import { checkFlow, type Problem } from './check-flow.ts';
import { fileInputDefaultProblems, hostFileConnectionProblems, taskFileNameProblems } from './file-names.ts';
import { documentLimitProblem, flowSizeProblem } from './limits.ts';
import type { Flow } from './model.ts';
import { formatPath, readYaml } from './yaml-source.ts';

/**
 * The last flows parsed, by their text: a server parses a deployed flow at each execution's
 * creation and again in the worker slot that runs it. Frozen, since every caller shares them.
 * Bounded in number and in text kept, since one flow may be megabytes.
 */
const recentFlows = new Map<string, Flow>();
const RECENT_FLOWS = 64;
const RECENT_CHARS = 8 * 1024 * 1024;
let recentChars = 0;

/** Parse and validate one flow file's text. Throws FlowValidationError listing every problem. */
export function parseFlow(text: string, file: string): Flow {
  let parsed = recentFlows.get(text);
  if (parsed) {
    // Most recently used last, so that the oldest is the first one dropped.
    recentFlows.delete(text);
    recentFlows.set(text, parsed);
  } else {
    parsed = deepFreeze(parseText(text, file));
    remember(text, parsed);
  }
  return parsed.source.file === file ? parsed : { ...parsed, source: { file }, warnings: parsed.warnings.map((warning) => ({ ...warning, file })) };
}

function remember(text: string, flow: Flow): void {
  if (text.length > RECENT_CHARS) return;
  recentFlows.set(text, flow);
  recentChars += text.length;
  for (const oldest of recentFlows.keys()) {
    if (recentFlows.size <= RECENT_FLOWS && recentChars <= RECENT_CHARS) break;
    recentFlows.delete(oldest);
    recentChars -= oldest.length;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function parseText(text: string, file: string): Flow {
  const tooBig = flowSizeProblem(text);
  if (tooBig) throw new FlowValidationError([{ file, line: 1, column: 1, path: '', message: tooBig }]);
  const source = readYaml(text);
  if (source.problems.length > 0) {
    throw new FlowValidationError(sortIssues(source.problems.map((problem) => ({ file, path: '', ...problem }))));
  }
  // Checked before validation, whose cost grows with the document.
  const overLimit = documentLimitProblem(source.value);
  if (overLimit) {
    throw new FlowValidationError([{ file, ...source.locate(overLimit.path), path: formatPath(overLimit.path), message: overLimit.message }]);
  }
  const checked = checkFlow(source.value);
  const { flow } = checked;
  // The rules the engine and the tasks apply at run time, on what is literal already.
  const problems = flow
    ? [...checked.problems, ...fileInputDefaultProblems(flow.inputs), ...taskFileNameProblems(flow.tasks), ...hostFileConnectionProblems(flow.tasks)]
    : checked.problems;
  const located = (problem: Problem): FlowIssue => {
    const position = problem.offsetInString === undefined
      ? source.locate(problem.path, problem.at)
      : source.locateInString(problem.path, problem.offsetInString);
    return { file, ...position, path: formatPath(problem.path), message: problem.message };
  };
  if (!flow || problems.length > 0) throw new FlowValidationError(sortIssues(problems.map(located)));
  return { ...flow, source: { file }, warnings: sortIssues(checked.warnings.map(located)) };
}

/** Read a flow file, then parseFlow. */
export async function loadFlowFile(path: string): Promise<Flow> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String((error as Error).message);
    throw new HarrierError(`cannot read flow file ${path}: ${reason}`, {
      code: 'FLOW_UNREADABLE',
      hint: 'give the path of a flow YAML file, relative to the current directory or absolute',
      cause: error,
    });
  }
  return parseFlow(text, path);
}

function sortIssues(issues: FlowIssue[]): FlowIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path));
}

/** Validation of the flowable tasks: their own properties and the tasks nested in them, each located. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlow } from '../../../src/flow/index.ts';
import type { DagTask, ForEachTask, IfTask, SwitchTask } from '../../../src/flow/model.ts';
import { flowWithTasks, issuesOf } from './helpers.ts';

test('a Dag that depends on an unknown id, or whose tasks wait for each other, is refused at the dependency', () => {
  assert.deepEqual(issuesOf(flowWithTasks(`  - id: dag
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task: {id: a, type: Log, message: a}
        dependsOn: [b]
      - task: {id: b, type: Log, message: b}
        dependsOn: [c]
      - task: {id: c, type: Log, message: c}
        dependsOn: [a, nope]
`)), [
    '8:20 tasks[0].tasks[0].dependsOn: dependency cycle: a → b → c → a (a Dag\'s tasks cannot wait for each other)',
    "12:24 tasks[0].tasks[2].dependsOn[1]: 'c' depends on 'nope', which is not a task of this Dag (its tasks: a, b, c)",
  ]);
});

test('tasks nested in If, Switch cases, Dag entries and ForEach are validated in place', () => {
  assert.deepEqual(issuesOf(flowWithTasks(`  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [1, 2]
    tasks:
      - id: c1
        type: io.kestra.plugin.core.flow.If
        condition: "{{ true }}"
        then:
          - {id: t1, type: Log, mesage: x}
  - id: sw
    type: io.kestra.plugin.core.flow.Switch
    value: x
    cases:
      x:
        - {id: t2, type: Nope}
  - id: dag
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task: {id: t3, type: Log}
`)), [
    "12:13 tasks[0].tasks[0].then[0].message: missing required key 'message'",
    "12:33 tasks[0].tasks[0].then[0].mesage: unknown key 'mesage' (did you mean 'message'?)",
    "18:26 tasks[1].cases.x[0].type: unknown task type 'Nope': Harrier does not implement it (nearest known: Log, Dag, Fail)",
    "22:15 tasks[2].tasks[0].task.message: missing required key 'message'",
  ]);
});

test('the flowables\' properties take Kestra\'s names and defaults', () => {
  const flow = parseFlow(flowWithTasks(`  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: '["a"]'
    tasks: [{id: a, type: Log, message: a}]
  - id: legacy
    type: io.kestra.plugin.core.flow.EachParallel
    value: [x]
    tasks: [{id: b, type: Log, message: b}]
  - id: when
    type: io.kestra.plugin.core.flow.If
    condition: "{{ true }}"
    then: [{id: c, type: Log, message: c}]
  - id: sw
    type: io.kestra.plugin.core.flow.Switch
    value: x
    cases: {x: [{id: d, type: Log, message: d}]}
    defaults: null
  - id: dag
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task: {id: e, type: Log, message: e}
`), 'flow.yaml');
  const [each, legacy, when, sw, dag] = flow.tasks as [ForEachTask, ForEachTask, IfTask, SwitchTask, DagTask];
  assert.equal(each.concurrencyLimit, 1);
  assert.equal(legacy.concurrencyLimit, 0);
  assert.deepEqual(legacy.values, ['x']);
  assert.deepEqual(when.else, []);
  assert.deepEqual(sw.defaults, []);
  assert.deepEqual(Object.keys(sw.cases), ['x']);
  assert.equal(dag.concurrent, 0);
  assert.deepEqual(dag.tasks.map((entry) => [entry.task.id, entry.dependsOn]), [['e', []]]);
});

test('a Switch without cases or defaults, a ForEach without values and a Sleep without a duration are refused', () => {
  const issues = issuesOf(flowWithTasks(`  - id: sw
    type: io.kestra.plugin.core.flow.Switch
    value: x
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    tasks: [{id: a, type: Log, message: a}]
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: 5 seconds
`));
  assert.equal(issues.length, 3, issues.join('\n'));
  assert.match(issues[0], /tasks\[0\]: a Switch needs tasks in 'cases' or 'defaults'/);
  assert.match(issues[1], /tasks\[1\]\.values: missing required key 'values'/);
  assert.match(issues[2], /tasks\[2\]\.duration: expected an ISO-8601 duration like PT5M, got '5 seconds'/);
});

test('a WorkingDirectory\'s inputFiles names and outputFiles patterns follow the working-directory rule', () => {
  const issues = issuesOf(flowWithTasks(`  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      ../escape.txt: x
    outputFiles: ["/etc/*"]
    tasks: [{id: a, type: Log, message: a}]
`));
  assert.equal(issues.length, 2, issues.join('\n'));
  assert.match(issues[0], /^7:7 tasks\[0\]\.inputFiles\["\.\.\/escape\.txt"\]: '\.\.\/escape\.txt' must be a relative file name/);
  assert.match(issues[1], /tasks\[0\]\.outputFiles\[0\]: '\/etc\/\*' reaches outside the working directory/);
});

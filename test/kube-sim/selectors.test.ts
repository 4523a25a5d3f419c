import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, POD_FIELDS, SelectorError } from './selectors.ts';

const labels = { app: 'web', tier: 'front', 'harrier.io/run': 'r1' };

function matches(selector: string, subject: Record<string, string> = labels): boolean {
  return matchesLabels(parseLabelSelector(selector), subject);
}

test('label selectors: equality, inequality and sets', () => {
  assert.equal(matches('app=web'), true);
  assert.equal(matches('app==web'), true);
  assert.equal(matches('app=db'), false);
  assert.equal(matches('app!=db'), true);
  assert.equal(matches('missing!=x'), true, '!= matches objects without the key');
  assert.equal(matches('app in (db, web)'), true);
  assert.equal(matches('app in (db,cache)'), false);
  assert.equal(matches('app notin (db,cache)'), true);
  assert.equal(matches('missing notin (a)'), true);
  assert.equal(matches('harrier.io/run=r1,app=web'), true);
  assert.equal(matches('harrier.io/run=r1,app=db'), false);
});

test('label selectors: exists and !exists', () => {
  assert.equal(matches('tier'), true);
  assert.equal(matches('!tier'), false);
  assert.equal(matches('!other'), true);
  assert.equal(matches(''), true, 'the empty selector matches everything');
});

test('label selectors: bad syntax is a SelectorError', () => {
  assert.throws(() => parseLabelSelector('app=we b'), SelectorError);
  assert.throws(() => parseLabelSelector('-bad=x'), SelectorError);
  assert.throws(() => parseLabelSelector('app=web,'), SelectorError);
});

test('field selectors on pods: metadata.name and status.phase', () => {
  const pod = { metadata: { name: 'p1', namespace: 'default' }, spec: {}, status: { phase: 'Running' } };
  assert.equal(matchesFields(parseFieldSelector('metadata.name=p1', POD_FIELDS), pod, POD_FIELDS), true);
  assert.equal(matchesFields(parseFieldSelector('metadata.name==p2', POD_FIELDS), pod, POD_FIELDS), false);
  assert.equal(matchesFields(parseFieldSelector('status.phase!=Succeeded,metadata.namespace=default', POD_FIELDS), pod, POD_FIELDS), true);
  assert.throws(() => parseFieldSelector('spec.image=x', POD_FIELDS), /field label not supported: spec.image/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeMatches, didYouMean, editDistance, nearest } from '../../../src/shared/suggest.ts';

test('edit distance counts insertions, deletions, substitutions and adjacent swaps, ignoring case', () => {
  assert.equal(editDistance('commands', 'commands'), 0);
  assert.equal(editDistance('comands', 'commands'), 1);
  assert.equal(editDistance('commnads', 'commands'), 1);
  assert.equal(editDistance('Log', 'log'), 0);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('suggestions: close matches only for "did you mean", nearest whatever the distance', () => {
  const names = ['commands', 'containerImage', 'env', 'script'];
  assert.deepEqual(closeMatches('comand', names), ['commands']);
  assert.deepEqual(closeMatches('zzzzzz', names), []);
  assert.deepEqual(nearest('zzz', names, 2), ['env', 'script']);
  assert.equal(didYouMean('scirpt', names), " (did you mean 'script'?)");
  assert.equal(didYouMean('xyzzy', names), '');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Masker } from '../../../src/engine/masker.ts';

test('secret values are masked, longest first; nothing before a value is revealed', () => {
  const masker = new Masker();
  assert.equal(masker.mask('abc123'), 'abc123');
  assert.equal(masker.holdsSecret('abc123'), false);
  masker.reveal('abc123');
  masker.reveal('abc123-long');
  assert.equal(masker.mask('token abc123 and abc123-long'), 'token ****** and ******');
  assert.equal(masker.holdsSecret('x abc123 y'), true);
  assert.equal(masker.holdsSecret('x abc12 y'), false);
});

test('each line of a multi-line secret is masked on its own, as logs arrive line by line', () => {
  const masker = new Masker();
  masker.reveal('-----BEGIN KEY-----\r\n  c2VjcmV0LWxpbmU=\n}\n');
  assert.equal(masker.mask('-----BEGIN KEY-----'), '******');
  assert.equal(masker.mask('    c2VjcmV0LWxpbmU='), '    ******');
  assert.equal(masker.mask('{ "a": 1 }'), '{ "a": 1 }', 'a one-character line is not masked everywhere');
});

test('the JSON-escaped form of a secret is masked too, as ::{...}:: lines print it', () => {
  const masker = new Masker();
  masker.reveal('line-one\nsay "hi"');
  assert.equal(masker.mask(JSON.stringify({ outputs: { x: 'line-one\nsay "hi"' } })), '{"outputs":{"x":"******"}}');
});

test('values derived from a secret: strings long enough, inside lists and maps too; not numbers or booleans', () => {
  const masker = new Masker();
  masker.revealDerived('S3CR3T');
  masker.revealDerived(['czNjcjN0', 'ab']);
  masker.revealDerived({ k: 'derived-value', n: 6, b: true });
  masker.revealDerived(6);
  assert.equal(masker.mask('S3CR3T czNjcjN0 ab derived-value 6 true'), '****** ****** ab ****** 6 true');
});

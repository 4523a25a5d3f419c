import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replaceStorageUris } from '../../../src/tasks/script/storage-uris.ts';

test('each storage URI in a command line becomes one copy in the working directory, up to a blank or a quote', () => {
  const { command, copies } = replaceStorageUris(
    ['/bin/sh', '-c', 'cat "kestra:///a/f/executions/1/inputs/x/data.csv" kestra:///a/b/out.txt\ncp \'kestra:///a/f/executions/1/inputs/x/data.csv\' .'],
    '/work/dir',
  );
  assert.deepEqual(command, [
    '/bin/sh', '-c',
    'cat "/work/dir/.harrier/storage/0/data.csv" /work/dir/.harrier/storage/1/out.txt\ncp \'/work/dir/.harrier/storage/0/data.csv\' .',
  ]);
  assert.deepEqual(copies, [
    { uri: 'kestra:///a/f/executions/1/inputs/x/data.csv', name: '.harrier/storage/0/data.csv' },
    { uri: 'kestra:///a/b/out.txt', name: '.harrier/storage/1/out.txt' },
  ]);
  assert.deepEqual(replaceStorageUris(['echo kestra'], '/w'), { command: ['echo kestra'], copies: [] });
});

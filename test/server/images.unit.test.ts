// Which built images a purge and a prune remove (issue 11 §5), as pure functions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerSummary, ImageSummary } from '../../server/docker/adapter.js';
import { unusedBuiltImages } from '../../server/reconcile/images.js';
import { plan, planToString } from '../../server/reconcile/plan.js';
import type { DesiredState } from '../../server/reconcile/types.js';

const built = (id: string, install: string, tags: string[]): ImageSummary => ({
  id,
  tags,
  labels: { 'foyer.managed': 'true', 'foyer.install': install, 'foyer.build-hash': 'h' },
});
const container = (imageId: string) => ({ imageId }) as ContainerSummary;

test('prune keeps images in use and the current build of a live install', () => {
  const images = [
    built('sha256:live', 'cal', ['cal-radicale:latest']),
    built('sha256:old', 'cal', []),
    built('sha256:gone', 'chat', ['chat-prosody:latest']),
    built('sha256:used', 'mail', ['mail-postfix:latest']),
    { id: 'sha256:pulled', tags: ['gotosocial:1'], labels: {} },
  ];
  const unused = unusedBuiltImages(images, [container('sha256:used')], new Set(['cal']));
  assert.deepEqual(
    unused.map((i) => i.id),
    ['sha256:old', 'sha256:gone'],
  );
});

test('a purge removes the built images last, after the containers that used them', () => {
  const desired: DesiredState = {
    install: 'cal',
    run: 'absent',
    purge: true,
    networks: [],
    volumes: [],
    services: [],
  };
  const ops = plan(
    desired,
    {
      containers: [],
      networks: [{ id: 'n', name: 'cal_default', labels: {} }],
      volumes: [{ name: 'cal_collections', labels: {} }],
      images: {},
      builtImages: [{ id: 'sha256:abc', name: 'cal-radicale:latest' }],
    },
    { restartUnhealthy: new Set() },
  );
  assert.equal(
    planToString(ops),
    [
      '[1] RemoveNetwork cal_default — install removed',
      '[2] RemoveVolume cal_collections — install purged',
      '[3] RemoveImage cal-radicale:latest — install purged',
    ].join('\n'),
  );
});

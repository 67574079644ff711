// Label selectors as users type them with -l, and the lab's attach view: reads pass through for
// the selected pods only, changes are refused, and stopping the view leaves the lab running.
import { describe, expect, test } from 'vitest';
import { UsageError } from '../util/errors.ts';
import { attachedView, labPodLabels, parseSelector } from './attach.ts';
import type { StartedTopology } from './provider.ts';

describe('parseSelector', () => {
  const labels = { app: 'redis', 'app.kubernetes.io/instance': 'orders', tier: 'cache' };

  test.each([
    ['', true],
    ['app=redis', true],
    ['app==redis', true],
    ['app!=redis', false],
    ['app=redis,tier=cache', true],
    ['app=redis,tier=db', false],
    ['app.kubernetes.io/instance in (orders, carts)', true],
    ['app.kubernetes.io/instance notin (orders)', false],
    ['tier', true],
    ['!tier', false],
    ['missing', false],
    ['app=redis,app.kubernetes.io/instance in (a,orders),!missing', true],
  ])('%s → %s', (selector, expected) => {
    expect(parseSelector(selector)(labels)).toBe(expected);
  });

  test('anything else is a usage error that quotes the term', () => {
    expect(() => parseSelector('app>redis')).toThrow(UsageError);
    expect(() => parseSelector('app>redis')).toThrow(/"app>redis"/);
  });
});

describe('attachedView', () => {
  const pods = ['redis-0', 'redis-1', 'client'].map((name, i) => ({
    name,
    node: 0,
    ip: `10.42.0.${i + 2}`,
    hostIP: '172.18.0.2',
    hostNetwork: false,
    generation: 1,
  }));
  const calls: string[] = [];
  const lab = {
    id: 'ab12cd',
    provider: 'netns',
    profile: 'flannel-vxlan',
    nodes: [],
    services: [
      { name: 'redis-0-np', pod: 'redis-0', ports: [], externalTrafficPolicy: 'Cluster', clusterIP: '10.43.0.10' },
      { name: 'client-np', pod: 'client', ports: [], externalTrafficPolicy: 'Cluster', clusterIP: '10.43.0.11' },
    ],
    pods: () => pods,
    pod: (n: string) => pods.find((p) => p.name === n)!,
    exec: async (t: { pod: string }, argv: string[]) => {
      calls.push(`${t.pod}: ${argv.join(' ')}`);
      return { exitCode: 0, stdout: '', stderr: '', durationMs: 1 };
    },
    logs: async () => '',
    stop: async () => void calls.push('lab stopped'),
  } as unknown as StartedTopology;
  const labelsOf = (p: string) => ({ ...labPodLabels(p), app: p.startsWith('redis') ? 'redis' : 'client' });
  const view = attachedView(lab, { namespace: 'ab12cd', selector: 'app=redis' }, labelsOf);

  test('only the selected pods and their Services', () => {
    expect(view.pods().map((p) => p.name)).toEqual(['redis-0', 'redis-1']);
    expect(view.services.map((s) => s.name)).toEqual(['redis-0-np']);
  });

  test('reads go to the lab for selected pods; others and changes are refused; stop leaves the lab', async () => {
    await view.exec({ pod: 'redis-1' }, ['ss', '-tan']);
    expect(calls).toEqual(['redis-1: ss -tan']);
    await expect(view.exec({ pod: 'client' }, ['ss'])).rejects.toThrow(/not among the attached pods/);
    await expect(view.deletePod('redis-0')).rejects.toThrow(/does not change the pods it found/);
    await view.stop();
    expect(calls).not.toContain('lab stopped');
  });
});

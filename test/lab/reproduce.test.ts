// `rcnc reproduce` end to end on the lab: the story in text and in JSON. Apart from the `rcnc run`
// tests (cli.test.ts): reproduce neither sweeps nor kills, so it runs beside other files.
import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { labSkipReason } from './leftovers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const rcnc = (args: string[]) =>
  execa('node', ['bin/rcnc.mjs', ...args], { cwd: ROOT, reject: false, env: { NO_COLOR: '1' } });

describe.skipIf(!!labSkipReason)('rcnc reproduce on the lab', () => {
  test('reproduce nat-meet --json: the ghost, its class, the failed dial-back and the fix', async () => {
    const r = await rcnc(['reproduce', 'nat-meet', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { cell: { observation: Record<string, unknown>; compatibility: string } };
    expect(out.cell.observation).toMatchObject({
      meet: 'fails',
      ghostClass: 'bridge-gateway',
      ghostOwner: 'cni0@node-0',
      joinerSelf: ':6379@16379 myself,slave',
      addNode: { ok: true },
      fix: { meet: 'ok', clusterState: 'ok' },
    });
    expect(out.cell.observation.failedDialBacks).toContainEqual(
      expect.objectContaining({ pod: 'redis-0', address: '10.42.0.1:16379' }),
    );
    expect(out.cell.compatibility).toBe('works-with-announce');
  });

  test('reproduce nat-meet tells the story in text', async () => {
    const r = await rcnc(['reproduce', 'nat-meet']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/10\.42\.0\.1:6379@16379 handshake .*<== ghost: cni0@node-0 \(bridge-gateway\)/);
    expect(r.stdout).toMatch(/Connection with Node [0-9a-f]{40} at 10\.42\.0\.1:16379 failed: Connection refused/);
    expect(r.stdout).toMatch(/:6379@16379 myself,slave/);
    expect(r.stdout).toMatch(/<== NATed \(bridge-gateway\)/);
    expect(r.stdout).toMatch(
      /Fix applied to redis-3: cluster-announce-ip 172\.18\.0\.2, cluster-announce-port 30003, cluster-announce-bus-port 31003/,
    );
  });
});

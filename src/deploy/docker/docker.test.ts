// The pure parts of the docker provider: names, the daemon's config and argv, the link between the
// Docker host and the outside machine, the image's root filesystem and its content hash, a pod's
// container argv and address, the logs API's stream format, which Docker hosts a sweep removes,
// and reading a local dockerd's proxy mode. The end-to-end path is test/lab/docker.test.ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { labIdOf } from '../netns/names.ts';
import { DOCKER_COMMANDS, LAB_COMMANDS, POLICY_RC_D_DENY } from '../netns/system.ts';
import { daemonConfig, dockerdArgv, hostLinkBatch } from './daemon.ts';
import { contentHash, localImageTag, parseLdd, rootfsPlan } from './image.ts';
import { dockerIdOf, dockerNames, HOST_LINK, newDockerId, socketLinkPid } from './names.ts';
import { addressIn, containerArgv, demuxLogs, logsSince, publishedPorts } from './pods.ts';
import { dockerdHosts, userlandProxyOf } from './runtime.ts';
import { mountsUnder, selectForSweep, shimSocket, type DockerLeftovers } from './sweep.ts';
import { dockerGaps, profileRequirement } from './topology.ts';

describe('names', () => {
  test('every name carries the id, and neither sweeper takes the other’s', () => {
    const id = newDockerId();
    const n = dockerNames(id);
    for (const name of [n.hostNs, n.outsideNs, n.network, n.cgroupParent, n.container('redis-0'), n.volume('x')]) {
      expect(name).toContain(id);
      expect(dockerIdOf(name)).toBe(id);
      // The netns lab's ids are six hex digits; `dk` is not hex, so its sweeper never sees these.
      expect(labIdOf(name)).toBeUndefined();
    }
    expect(dockerIdOf('rcnc-a1b2c3-n0')).toBeUndefined();
    expect(() => dockerNames('a1b2c3')).toThrow(/bad docker topology id/);
    expect(socketLinkPid('rcnc-docker-4242.sock')).toBe(4242);
    expect(socketLinkPid('rcnc-dk123456')).toBeUndefined();
  });
});

describe('the private daemon', () => {
  const n = dockerNames('dk0a1b2c');

  test('its config keeps every path under its dir and sets the proxy mode', () => {
    const on = daemonConfig(n, true);
    expect(on).toMatchObject({
      'data-root': `${n.dir}/data`,
      'exec-root': `${n.dir}/exec`,
      pidfile: `${n.dir}/docker.pid`,
      hosts: [`unix://${n.dir}/docker.sock`],
      'storage-driver': 'vfs',
      'cgroup-parent': 'rcnc-dk0a1b2c',
      'deprecated-key-path': `${n.dir}/key.json`,
      'userland-proxy': true,
    });
    expect(daemonConfig(n, false)['userland-proxy']).toBe(false);
    for (const v of Object.values(on).flat()) {
      if (typeof v === 'string' && v.includes('/')) {
        expect(v).toContain(n.dir);
      }
    }
  });

  test('it starts in its namespace with nsenter --net (not ip netns exec) and dies with rcnc', () => {
    const argv = dockerdArgv(n);
    expect(argv).toEqual([
      'setpriv',
      '--pdeathsig',
      'TERM',
      '--',
      'nsenter',
      '--net=/run/netns/rcnc-dk0a1b2c-dh',
      'dockerd',
      '--config-file',
      `${n.dir}/daemon.json`,
    ]);
    expect(argv).not.toContain('netns');
  });

  test('the link is made inside its namespaces: nothing is created in the root namespace', () => {
    const { host, outside } = hostLinkBatch(n);
    expect(host).toContain('link add eth0 type veth peer name eth0 netns rcnc-dk0a1b2c-out');
    expect(host).toContain(`addr add ${HOST_LINK.host}/24 dev eth0`);
    expect(host).toContain(`route add default via ${HOST_LINK.outside}`);
    expect(outside).toContain(`addr add ${HOST_LINK.outside}/24 dev eth0`);
    expect([...host, ...outside].some((l) => /netns\s+1\b|\broot\b/.test(l))).toBe(false);
  });

  test('docker.io is installed by setup but is no requirement of the netns lab', () => {
    expect(Object.values(DOCKER_COMMANDS)).toContain('docker.io');
    expect(Object.values(LAB_COMMANDS)).not.toContain('docker.io');
    expect(POLICY_RC_D_DENY).toMatch(/^#!\/bin\/sh\n[\s\S]*exit 101\n$/);
  });
});

describe('the image', () => {
  const LDD = [
    '/usr/bin/redis-check-rdb:',
    '\tlinux-vdso.so.1 (0x00007f519b593000)',
    '\tlibjemalloc.so.2 => /lib/x86_64-linux-gnu/libjemalloc.so.2 (0x00007f519ae00000)',
    '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f519a61e000)',
    '\t/lib64/ld-linux-x86-64.so.2 (0x00007f519b595000)',
    '/usr/bin/redis-cli:',
    '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fac1bc1e000)',
  ].join('\n');

  test('parseLdd lists every library by path, the loader included, once', () => {
    expect(parseLdd(LDD)).toEqual([
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib/x86_64-linux-gnu/libjemalloc.so.2',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  test('the root filesystem names the binaries as the image runs them, libraries where the loader looks', () => {
    const plan = rootfsPlan({ server: '/usr/bin/redis-server', cli: '/usr/bin/redis-cli', sleep: '/bin/sleep' }, [
      '/lib64/ld-linux-x86-64.so.2',
    ]);
    expect(plan.map((e) => e.to)).toEqual([
      'etc/group',
      'etc/passwd',
      'lib64/ld-linux-x86-64.so.2',
      'usr/bin/redis-cli',
      'usr/bin/redis-server',
      'usr/bin/sleep',
    ]);
  });

  test('the tag is a hash of the content: the same files give the same tag, a changed byte another', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rcnc-image-test-'));
    try {
      const bin = join(dir, 'redis-server');
      await writeFile(bin, 'one');
      const plan = rootfsPlan({ server: bin, cli: bin, sleep: bin }, []);
      const a = await contentHash(plan);
      expect(await contentHash([...plan].reverse())).toBe(a);
      await writeFile(bin, 'two');
      const b = await contentHash(plan);
      expect(b).not.toBe(a);
      expect(localImageTag('7.0.15', a)).toBe(`rcnc/redis:7.0.15-${a.slice(0, 12)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('pods as containers', () => {
  const redis = { server: '/opt/redis/bin/redis-server', cli: '/opt/redis/bin/redis-cli' };

  test('argv: downward-API variables expanded, unknown ones kept, the run’s Redis named as in the image', () => {
    const vars = { POD_IP: '172.18.0.5', CONFIG_DIR: '/etc/rcnc' };
    expect(
      containerArgv(['/opt/redis/bin/redis-server', '$(CONFIG_DIR)/redis.conf', '$(POD_IP)', '$(NOPE)'], vars, redis),
    ).toEqual(['redis-server', '/etc/rcnc/redis.conf', '172.18.0.5', '$(NOPE)']);
    expect(containerArgv(['/usr/bin/redis-server', '--port', '1'], {}, redis)[0]).toBe('redis-server');
    expect(containerArgv(['sleep', '3600'], {}, redis)).toEqual(['sleep', '3600']);
  });

  test('a NodePort Service publishes its nodePort on the host for its pod only', () => {
    const svc = {
      name: 'redis-0-np',
      pod: 'redis-0',
      externalTrafficPolicy: 'Cluster' as const,
      ports: [
        { name: 'client', port: 6379, targetPort: 6379, nodePort: 30000 },
        { name: 'bus', port: 16379, targetPort: 16379, nodePort: 31000 },
      ],
    };
    expect(publishedPorts('redis-0', [svc])).toEqual([
      { container: 6379, host: 30000 },
      { container: 16379, host: 31000 },
    ]);
    expect(publishedPorts('redis-1', [svc])).toEqual([]);
  });

  test('addresses are counted from the subnet; the network and broadcast addresses are refused', () => {
    expect(addressIn('172.18.0.0/16', 1)).toBe('172.18.0.1');
    expect(addressIn('172.18.0.0/16', 258)).toBe('172.18.1.2');
    expect(addressIn('10.0.5.7/24', 2)).toBe('10.0.5.2');
    expect(() => addressIn('172.18.0.0/24', 255)).toThrow(/no address number 255/);
    expect(() => addressIn('172.18.0.0/24', 0)).toThrow();
  });

  test('the logs stream is demultiplexed; a TTY container’s raw bytes pass through', () => {
    const frame = (type: number, text: string) => {
      const head = Buffer.alloc(8);
      head[0] = type;
      head.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([head, Buffer.from(text)]);
    };
    expect(demuxLogs(Buffer.concat([frame(1, 'Ready to accept '), frame(2, 'connections\n')]))).toBe(
      'Ready to accept connections\n',
    );
    expect(demuxLogs(Buffer.from('plain text log\n'))).toBe('plain text log\n');
  });

  test('logs since a start keep its nanoseconds, so a restart in the same second drops the previous run', () => {
    expect(logsSince('2026-11-27T13:05:09.123456789Z')).toBe('1795784709.123456789');
    expect(logsSince('2026-11-27T13:05:09.5Z')).toBe('1795784709.500000000');
    expect(logsSince('2026-11-27T14:05:09.25+01:00')).toBe('1795784709.250000000');
    expect(logsSince('not a date')).toBe('0');
  });
});

describe('sweeping', () => {
  const host = (id: string, owner: DockerLeftovers['owner'], runId?: string): DockerLeftovers => ({
    id,
    namespaces: [`rcnc-${id}-dh`],
    dirs: [],
    cgroups: [],
    createdRunDirs: [],
    owner,
    runId,
  });

  test('only hosts whose owner is gone go; a live or unreadable one stays unless --all', () => {
    const hosts = [host('dk000001', 'gone'), host('dk000002', 'alive'), host('dk000003', 'unknown')];
    const chosen = selectForSweep(hosts);
    expect(chosen.remove.map((h) => h.id)).toEqual(['dk000001']);
    expect(chosen.kept.map((h) => h.id)).toEqual(['dk000002']);
    expect(chosen.unknown.map((h) => h.id)).toEqual(['dk000003']);
    expect(selectForSweep(hosts, { all: true }).remove.length).toBe(3);
  });

  test('a run sweeps only its own hosts', () => {
    const hosts = [host('dk000001', 'gone', 'run-a'), host('dk000002', 'gone', 'run-b')];
    expect(selectForSweep(hosts, { runId: 'run-a' }).remove.map((h) => h.id)).toEqual(['dk000001']);
  });

  test('mounts under a host dir are found deepest first, with mountinfo’s octal escapes undone', () => {
    const info = [
      '36 25 0:4 / /tmp/rcnc-dk000001/exec/netns/default rw shared:1 - nsfs nsfs rw',
      '37 25 254:0 /tmp/rcnc-dk000001/data /tmp/rcnc-dk000001/data rw shared:2 - ext4 /dev/vda rw',
      '38 25 0:5 / /tmp/rcnc-dk000001x/data rw - tmpfs tmpfs rw',
      '39 25 0:6 / /tmp/rcnc-dk000001/with\\040space rw - tmpfs tmpfs rw',
    ].join('\n');
    expect(mountsUnder(info, '/tmp/rcnc-dk000001')).toEqual([
      '/tmp/rcnc-dk000001/exec/netns/default',
      '/tmp/rcnc-dk000001/with space',
      '/tmp/rcnc-dk000001/data',
    ]);
  });

  test('a shim socket is named by the hash of containerd’s address, namespace and container id', () => {
    const a = shimSocket('/tmp/rcnc-dk000001/exec', 'abc');
    expect(a).toMatch(/^\/run\/containerd\/s\/[0-9a-f]{64}$/);
    expect(shimSocket('/tmp/rcnc-dk000001/exec', 'abd')).not.toBe(a);
  });
});

describe('a daemon rcnc did not start', () => {
  test('the userland-proxy mode: the flag wins over the config file, on by default', () => {
    expect(userlandProxyOf(['dockerd'], undefined)).toBe(true);
    expect(userlandProxyOf(['dockerd', '--userland-proxy=false'], { 'userland-proxy': true })).toBe(false);
    expect(userlandProxyOf(['dockerd'], { 'userland-proxy': false })).toBe(false);
    expect(userlandProxyOf(['dockerd', '--userland-proxy'], { 'userland-proxy': false })).toBe(true);
  });

  test('the sockets it serves: flags, config hosts, systemd’s fd:// and the default', () => {
    expect(dockerdHosts(['dockerd'], undefined)).toEqual(['unix:///var/run/docker.sock']);
    expect(dockerdHosts(['dockerd', '-H', 'fd://'], undefined)).toEqual(['unix:///var/run/docker.sock']);
    expect(dockerdHosts(['dockerd', '--host=unix:///x.sock'], { hosts: ['tcp://0.0.0.0:2375'] })).toEqual([
      'unix:///x.sock',
      'tcp://0.0.0.0:2375',
    ]);
  });

  test('a profile runs only on a daemon in its proxy mode, and a CNI profile never', () => {
    const local = (userlandProxy?: boolean) => ({
      kind: 'existing' as const,
      detail: 'Docker 27',
      endpoint: 'unix:///var/run/docker.sock',
      userlandProxy,
    });
    expect(profileRequirement('docker-iptables', local(false)).met).toBe(true);
    expect(profileRequirement('docker-iptables', local(true))).toMatchObject({
      met: false,
      detail: expect.stringMatching(/userland-proxy on; profile docker-iptables needs it off/),
    });
    expect(profileRequirement('docker-userland-proxy', local(undefined))).toMatchObject({
      met: false,
      detail: expect.stringMatching(/cannot tell/),
    });
    expect(profileRequirement('flannel-vxlan', { kind: 'private', detail: '' })).toMatchObject({
      met: false,
      detail: expect.stringMatching(/Kubernetes CNI/),
    });
    expect(profileRequirement('docker-userland-proxy', { kind: 'private', detail: '' }).met).toBe(true);
  });

  test('its gaps: never a node to stop; no outside machine; on another machine, nothing in its namespaces', () => {
    const existing = { kind: 'existing' as const, detail: 'Docker 27', endpoint: 'tcp://10.0.0.5:2376' };
    const own = dockerGaps({ kind: 'private', detail: '' });
    expect(Object.keys(own)).toEqual(['node-faults']);
    expect(own['node-faults']).toMatch(/one Docker host is the only node/);
    const local = dockerGaps({ ...existing, dockerdPid: 4242 });
    expect(Object.keys(local).sort()).toEqual(['external-client', 'node-faults']);
    expect(local['external-client']).toMatch(/rcnc did not start this daemon/);
    const remote = dockerGaps(existing);
    expect(Object.keys(remote).sort()).toEqual([
      'capture',
      'external-client',
      'host-netns',
      'node-exec',
      'node-faults',
    ]);
    expect(remote.capture).toMatch(/not on this machine/);
  });
});

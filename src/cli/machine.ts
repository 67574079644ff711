// `rcnc doctor`, `rcnc setup` and `rcnc clean`: what the lab needs from this machine, installing
// it, and sweeping what killed runs left.
import { rm } from 'node:fs/promises';
import { sweepDocker } from '../deploy/docker/sweep.ts';
import { sweepKubeLeftovers } from '../deploy/kube-leftovers.ts';
import { sweepKubeClusters } from '../deploy/kube/sweep.ts';
import { sweep } from '../deploy/netns/sweep.ts';
import { ensurePackages, labRequirements } from '../deploy/netns/system.ts';
import { unmet } from '../deploy/provider.ts';
import { isRcncError, RequirementError } from '../util/errors.ts';
import { ownerAlive } from '../util/run-state.ts';
import { parse } from './args.ts';
import { help } from './help.ts';
import { runRecords } from './run-vitest.ts';

export async function cmdDoctor(args: string[]): Promise<number> {
  const { values } = parse('doctor', args);
  if (values.help) {
    return help('doctor');
  }
  const reqs = await labRequirements();
  if (values.json) {
    console.log(JSON.stringify({ requirements: reqs }, null, 2));
  } else {
    for (const r of reqs) {
      console.log(`${r.met ? 'ok     ' : 'MISSING'} ${r.name}${r.detail ? ` — ${r.detail}` : ''}`);
    }
    console.log(
      unmet(reqs).length
        ? '\nThe netns lab cannot run here; lab cells will be skipped with the reasons above.'
        : '\nThe netns lab can run here.',
    );
  }
  return unmet(reqs).length ? 2 : 0;
}

export async function cmdSetup(args: string[]): Promise<number> {
  const { values } = parse('setup', args);
  if (values.help) {
    return help('setup');
  }
  const installed = await ensurePackages((l) => console.log(l));
  if (installed.length) {
    console.log(`rcnc setup: installed ${installed.join(' ')}`);
  }
  if (values.kube || values['kube-bin'] || values['kube-optional']) {
    const { setupKube } = await import('./kube.ts');
    try {
      await setupKube(values['kube-bin']);
    } catch (e) {
      // npm test's kube tier then skips with the provider's reason; CI (REQUIRE_KUBE=1) fails here.
      if (!values['kube-optional'] || !isRcncError(e) || process.env['REQUIRE_KUBE'] === '1') {
        throw e;
      }
      console.log(`rcnc setup: the kube provider cannot be set up here, its cells will skip: ${e.message}`);
    }
  }
  return 0;
}

export async function cmdClean(args: string[]): Promise<number> {
  const { values } = parse('clean', args);
  if (values.help) {
    return help('clean');
  }
  // k3d clusters and namespaces of killed k3d/kubeconfig runs need no root, labs do.
  const kube = await sweepKubeLeftovers({ all: values.all });
  if (process.getuid?.() !== 0) {
    kube.forEach((l) => console.log(l));
    if (kube.length === 0) {
      throw new RequirementError('clean needs root to delete network namespaces; run it with sudo');
    }
    console.log('netns labs were not looked at: that needs root (sudo npx rcnc clean)');
    return 0;
  }
  // Kube clusters first: their namespaces hold daemons and pods the other sweeps do not know.
  const kubeClusters = await sweepKubeClusters({ all: values.all });
  const { removed, kept, unknown } = await sweep({ all: values.all });
  // Docker hosts before runs: a killed run's dir may hold a Docker host's mounts.
  const docker = await sweepDocker({ all: values.all });
  const runs = [...(await sweepRuns(!!values.all)), ...kube, ...kubeClusters];
  for (const lab of removed) {
    console.log(`removed lab ${lab.id}: ${lab.namespaces.length} namespace(s)${lab.dir ? `, ${lab.dir}` : ''}`);
  }
  for (const lab of kept) {
    const run = lab.runId ? ` of run ${lab.runId}` : '';
    console.log(`kept lab ${lab.id}: its owner${run} (pid ${lab.ownerPid}) is still alive; use --all to remove it`);
  }
  for (const lab of unknown) {
    console.log(`kept lab ${lab.id}: ${lab.problem}; remove it with --all once no run uses it`);
  }
  const dockerLines = dockerSweepLines(docker);
  for (const line of [...dockerLines, ...runs]) {
    console.log(line);
  }
  if (!removed.length && !kept.length && !unknown.length && !runs.length && !dockerLines.length) {
    console.log('nothing to clean');
  }
  return 0;
}

function dockerSweepLines(r: Awaited<ReturnType<typeof sweepDocker>>): string[] {
  const run = (id?: string) => (id ? ` of run ${id}` : '');
  return [
    ...r.removed.map((h) =>
      h.daemon
        ? `removed docker topology ${h.id} from the daemon at ${h.daemon}: its containers, volumes and network${h.dirs.length ? `, ${h.dirs.join(', ')}` : ''}`
        : `removed docker host ${h.id}: the private dockerd, its containers, ${h.namespaces.length} namespace(s)${h.dirs.length ? `, ${h.dirs.join(', ')}` : ''}`,
    ),
    ...r.kept.map(
      (h) =>
        `kept docker host ${h.id}: its owner${run(h.runId)} (pid ${h.ownerPid}) is still alive; use --all to remove it`,
    ),
    ...r.unknown.map((h) => `kept docker host ${h.id}: ${h.problem}; remove it with --all once no run uses it`),
  ];
}

/** Temp dirs of `rcnc run`s that are gone (vitest's cache, lab dirs); a live run's are kept. */
async function sweepRuns(all: boolean): Promise<string[]> {
  const lines: string[] = [];
  const { records, problems } = await runRecords.readAll();
  for (const r of records) {
    if (!all && (await ownerAlive(r))) {
      continue;
    }
    await rm(r.tmpDir, { recursive: true, force: true });
    await runRecords.remove(r.id);
    lines.push(`removed run ${r.runId}: ${r.tmpDir}`);
  }
  for (const p of problems) {
    lines.push(`kept run ${p.id}: its record ${p.file} ${p.problem}; delete it by hand`);
  }
  return lines;
}

// `rcnc reproduce FAMILY|CELL`: one cell on a small netns lab, told as its family's story. A family
// name runs the family's classic cell (nat-meet: the NAT meet failure; --profile and --nodes pick
// its datapath and size); a cell id runs that cell of any family that tells a story. With
// --provider kubeconfig the cell runs on a cluster the user has, in a namespace of its own, and
// --keep leaves the failure there (no fix) for `rcnc collect` to find.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { familyModule, SCENARIOS } from '../../scenarios/registry.ts';
import { labRequirements } from '../deploy/netns/system.ts';
import { describeUnmet, unmet, type Provider } from '../deploy/provider.ts';
import type { Cell } from '../model/cell.ts';
import { FAMILIES, isOneOf, type Family } from '../model/dimensions.ts';
import type { FamilyReproduction, ReproduceFlags } from '../suite/family.ts';
import type { ScenarioContext } from '../suite/harness.ts';
import { newRunId, resolveRedisBinary, runConfigFromEnv } from '../suite/run-config.ts';
import { RequirementError, UsageError } from '../util/errors.ts';
import { parse } from './args.ts';
import type { FlagValues } from './flags.ts';
import { help } from './help.ts';

const REPRODUCE_PROVIDERS = ['netns', 'kubeconfig'] as const;

export async function cmdReproduce(args: string[]): Promise<number> {
  const { values, positionals } = parse('reproduce', args);
  if (values.help) {
    return help('reproduce');
  }
  if (values.list) {
    console.log(reproducibleList());
    return 0;
  }
  const provider = providerFlag(values);
  const { reproduction, cell } = reproducible(positionals, { profile: values.profile, nodes: values.nodes, provider });
  if (provider === 'kubeconfig') {
    return reproduceOnCluster(values, reproduction, cell);
  }
  // The binaries are checked (each must say it is Redis) before the lab is looked at or built.
  const config = runConfigFromEnv(process.env);
  const server = await resolveRedisBinary(
    values['redis-server'] ?? config.redis.server,
    'redis-server',
    values['redis-server'] !== undefined ? '--redis-server' : 'RCNC_REDIS_SERVER',
  );
  const cli = await resolveRedisBinary(
    values['redis-cli'] ?? config.redis.cli,
    'redis-cli',
    values['redis-cli'] !== undefined ? '--redis-cli' : 'RCNC_REDIS_CLI',
  );
  await labCanRun();
  if (!values.json) {
    console.error(`rcnc: building a ${cell.dims.profile} lab with ${cell.dims.nodes} node(s)…`);
  }
  const { NetnsProvider } = await import('../deploy/netns/netns.ts');
  return tell(values, reproduction, cell, new NetnsProvider(), { redis: { server: server.path, cli: cli.path } });
}

/** --provider, and the flags that only go with one of them. */
function providerFlag(values: FlagValues<'reproduce'>): ReproduceFlags['provider'] {
  const provider = values.provider ?? 'netns';
  if (!isOneOf(REPRODUCE_PROVIDERS, provider)) {
    throw new UsageError(`--provider ${provider}: reproduce runs on ${REPRODUCE_PROVIDERS.join(' or ')}`);
  }
  const clusterOnly = (['kubeconfig', 'context', 'image', 'keep'] as const).filter((f) => values[f] !== undefined);
  if (provider !== 'kubeconfig' && clusterOnly.length) {
    throw new UsageError(
      `--${clusterOnly.join(', --')} go(es) with --provider kubeconfig (a cluster that outlives the command; rcnc kube up starts one)`,
    );
  }
  if (provider === 'kubeconfig' && (values['redis-server'] || values['redis-cli'])) {
    throw new UsageError('--redis-server and --redis-cli are for the lab; on a cluster the pods run --image');
  }
  if (values.kubeconfig && !existsSync(values.kubeconfig)) {
    throw new UsageError(`--kubeconfig ${values.kubeconfig}: no such file`);
  }
  return provider;
}

/** The cell on the user's cluster; with --keep, where the failure stays and what to do with it. */
async function reproduceOnCluster(
  values: FlagValues<'reproduce'>,
  reproduction: FamilyReproduction<Family>,
  cell: Cell<Family, unknown>,
): Promise<number> {
  const { KubeconfigProvider } = await import('../deploy/kubeconfig/kubeconfig.ts');
  const { REDIS_IMAGE_BINARIES } = await import('../deploy/k8s/versions.ts');
  const kubeconfig = values.kubeconfig ? resolve(values.kubeconfig) : undefined;
  const provider = new KubeconfigProvider({
    kubeconfig,
    context: values.context,
    image: values.image,
    runId: newRunId(),
    keep: !!values.keep,
  });
  const reason = describeUnmet(await provider.check());
  if (reason) {
    throw new RequirementError(`reproduce cannot use the cluster: ${reason}`);
  }
  if (!values.json) {
    console.error(`rcnc: deploying ${cell.id} on the cluster…`);
  }
  try {
    return await tell(values, reproduction, cell, provider, {
      redis: { ...REDIS_IMAGE_BINARIES },
      keep: !!values.keep,
    });
  } finally {
    // Also when the cell failed half-way: what it deployed stays, and the user must learn where.
    const kc = kubeconfig ? ` --kubeconfig ${kubeconfig}` : '';
    for (const { namespace, context } of provider.kept) {
      console.error(
        [
          `rcnc: left as it is, no fix applied: namespace ${namespace} (context ${context})`,
          `  collect and analyze it: npx rcnc collect${kc} -n ${namespace} DIR`,
          `  remove it:              kubectl${kc} delete namespace ${namespace}`,
        ].join('\n'),
      );
    }
  }
}

async function tell(
  values: FlagValues<'reproduce'>,
  reproduction: FamilyReproduction<Family>,
  cell: Cell<Family, unknown>,
  provider: Provider,
  scenario: ScenarioContext,
): Promise<number> {
  const told = await reproduction.run(provider, cell, scenario);
  console.log(values.json ? JSON.stringify(told.json, null, 2) : told.story);
  return told.asExpected ? 0 : 1;
}

/** The families that tell a story, by name. */
const storytellers = () => SCENARIOS.filter((family) => family.reproduce).map((family) => family.name);

/** What to run: a family's classic cell from the flags, or the provider's cell with that id. */
export function reproducible(
  positionals: string[],
  flags: ReproduceFlags,
): { reproduction: FamilyReproduction<Family>; cell: Cell<Family, unknown> } {
  const [wanted, ...extra] = positionals;
  const families = storytellers();
  const provider = flags.provider ?? 'netns';
  const usage = `rcnc reproduce FAMILY|CASE|CELL, FAMILY one of ${families.join(', ')}, CASE one of rcnc reproduce --list; try: rcnc reproduce ${families[0]}`;
  if (wanted === undefined || extra.length > 0) {
    throw new UsageError(`give one family or cell id (got "${positionals.join(' ')}"): ${usage}`);
  }
  if (isOneOf(FAMILIES, wanted)) {
    const reproduction = familyModule(wanted).reproduce;
    if (!reproduction) {
      throw new UsageError(`${wanted} has no story to reproduce: ${usage}`);
    }
    return { reproduction, cell: reproduction.cell(flags) };
  }
  if (flags.profile !== undefined || flags.nodes !== undefined) {
    throw new UsageError(`--profile and --nodes choose a family's cell; a cell id names its own: ${usage}`);
  }
  for (const family of SCENARIOS) {
    const cell = family.reproduce && family.cells(provider, 'full').find((candidate) => candidate.id === wanted);
    if (family.reproduce && cell) {
      return { reproduction: family.reproduce, cell };
    }
    const named = provider === 'netns' ? family.reproduce?.named?.().find((n) => n.name === wanted) : undefined;
    if (family.reproduce && named) {
      return { reproduction: family.reproduce, cell: named.cell };
    }
  }
  throw new UsageError(
    `no ${provider} cell ${wanted} in a family that tells a story (${families.join(', ')}): ${usage}`,
  );
}

/** `rcnc reproduce --list`: the families that tell a story, then every named case with its line. */
export function reproducibleList(): string {
  const stories = storytellers().filter((f) => !familyModule(f).reproduce?.named);
  const lines = ['Families (rcnc reproduce FAMILY):', ...stories.map((f) => `  ${f}`)];
  for (const family of SCENARIOS) {
    const named = family.reproduce?.named?.() ?? [];
    if (named.length) {
      const width = Math.max(...named.map((n) => n.name.length));
      lines.push(
        '',
        `${family.name} (rcnc reproduce NAME):`,
        ...named.map((n) => `  ${n.name.padEnd(width)}  ${n.line}`),
      );
    }
  }
  return lines.join('\n');
}

async function labCanRun(): Promise<void> {
  const reqs = await labRequirements();
  if (unmet(reqs).length) {
    throw new RequirementError(
      `the netns lab cannot run here: ${unmet(reqs)
        .map((r) => r.detail ?? r.name)
        .join('; ')}`,
    );
  }
}

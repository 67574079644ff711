// `rcnc reproduce FAMILY|CELL`: one cell on a small netns lab, told as its family's story. A family
// name runs the family's classic cell (nat-meet: the NAT meet failure; --profile and --nodes pick
// its datapath and size); a cell id runs that cell of any family that tells a story.
import { familyModule, SCENARIOS } from '../../scenarios/registry.ts';
import { NetnsProvider } from '../deploy/netns/netns.ts';
import { labRequirements } from '../deploy/netns/system.ts';
import { unmet } from '../deploy/provider.ts';
import type { Cell } from '../model/cell.ts';
import { FAMILIES, isOneOf, type Family } from '../model/dimensions.ts';
import type { FamilyReproduction, ReproduceFlags } from '../suite/family.ts';
import { resolveRedisBinary, runConfigFromEnv } from '../suite/run-config.ts';
import { RequirementError, UsageError } from '../util/errors.ts';
import { parse } from './args.ts';
import { help } from './help.ts';

export async function cmdReproduce(args: string[]): Promise<number> {
  const { values, positionals } = parse('reproduce', args);
  if (values.help) {
    return help('reproduce');
  }
  const { reproduction, cell } = reproducible(positionals, { profile: values.profile, nodes: values.nodes });
  await labCanRun();
  if (!values.json) {
    console.error(`rcnc: building a ${cell.dims.profile} lab with ${cell.dims.nodes} node(s)…`);
  }
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
  const told = await reproduction.run(new NetnsProvider(), cell, { redis: { server: server.path, cli: cli.path } });
  console.log(values.json ? JSON.stringify(told.json, null, 2) : told.story);
  return told.asExpected ? 0 : 1;
}

/** The families that tell a story, by name. */
const storytellers = () => SCENARIOS.filter((family) => family.reproduce).map((family) => family.name);

/** What to run: a family's classic cell from the flags, or the netns cell with that id. */
export function reproducible(
  positionals: string[],
  flags: ReproduceFlags,
): { reproduction: FamilyReproduction<Family>; cell: Cell<Family, unknown> } {
  const [wanted, ...extra] = positionals;
  const families = storytellers();
  const usage = `rcnc reproduce FAMILY|CELL, FAMILY one of ${families.join(', ')}; try: rcnc reproduce ${families[0]}`;
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
    const cell = family.reproduce && family.cells('netns', 'full').find((candidate) => candidate.id === wanted);
    if (family.reproduce && cell) {
      return { reproduction: family.reproduce, cell };
    }
  }
  throw new UsageError(`no netns cell ${wanted} in a family that tells a story (${families.join(', ')}): ${usage}`);
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

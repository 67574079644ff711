// `rcnc reproduce nat-meet`: the classic failure on a small lab, told as a numbered story.
import { natMeetCells } from '../../scenarios/nat-meet/cells.ts';
import { explainNatMeet } from '../../scenarios/nat-meet/explain.ts';
import { runNatMeet } from '../../scenarios/nat-meet/run.ts';
import { NetnsProvider } from '../deploy/netns/netns.ts';
import { labProfiles } from '../deploy/netns/profiles.ts';
import { labRequirements } from '../deploy/netns/system.ts';
import { unmet } from '../deploy/provider.ts';
import { cellId } from '../model/cell.ts';
import { resolveRedisBinary, runConfigFromEnv } from '../suite/run-config.ts';
import { RequirementError, UsageError } from '../util/errors.ts';
import { parse } from './args.ts';
import { help } from './help.ts';

export async function cmdReproduce(args: string[]): Promise<number> {
  const { values, positionals } = parse('reproduce', args);
  if (values.help) {
    return help('reproduce');
  }
  if (positionals[0] !== 'nat-meet' || positionals.length > 1) {
    throw new UsageError(
      `rcnc reproduce knows one scenario: nat-meet (got "${positionals.join(' ')}"); try: rcnc reproduce nat-meet`,
    );
  }
  const { profile, nodes, cell } = await reproductionCell(values.profile, values.nodes);
  if (!values.json) {
    console.error(`rcnc: building a ${profile} lab with ${nodes} node(s)…`);
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
  const runResult = await runNatMeet(new NetnsProvider(), cell, { redis: { server: server.path, cli: cli.path } });
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          cell: runResult.record,
          views: Object.fromEntries(runResult.before.map((v) => [v.member, v.raw])),
          viewsAfterFix: runResult.after && Object.fromEntries(runResult.after.map((v) => [v.member, v.raw])),
        },
        null,
        2,
      ),
    );
  } else {
    console.log(explainNatMeet(runResult));
  }
  return runResult.record.observation?.meet === cell.expectation.meet ? 0 : 1;
}

/** The nat-meet cell to reproduce, after checking the flags and that the lab can run here. */
async function reproductionCell(profileFlag: string | undefined, nodesFlag: string | undefined) {
  const profile = profileFlag ?? 'flannel-vxlan';
  const usable = labProfiles().filter((p) => p !== 'no-nat');
  if (!usable.includes(profile as never)) {
    throw new UsageError(
      `--profile ${profile}: the NAT meet failure needs a NATing profile; choose from ${usable.join(', ')}`,
    );
  }
  const nodes = Number(nodesFlag ?? '1');
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 5) {
    throw new UsageError(`--nodes ${nodesFlag}: give a whole number from 1 to 5`);
  }
  const reqs = await labRequirements();
  if (unmet(reqs).length) {
    throw new RequirementError(
      `the netns lab cannot run here: ${unmet(reqs)
        .map((r) => r.detail ?? r.name)
        .join('; ')}`,
    );
  }
  // One node: the classic cni0 case. More: the joiner dials its own node and the endpoint is remote.
  const base = natMeetCells('netns').find(
    (c) =>
      c.dims.profile === profile &&
      c.dims.exposure === 'nodeport' &&
      c.dims.announce === 'none' &&
      c.dims.policy === 'Cluster' &&
      // The story is the one operators live: add-node, which claims success.
      (nodes === 1 ? c.dims.variant === 'add-node' : c.dims.variant === 'dial-own-node'),
  )!;
  const dims = { ...base.dims, nodes };
  return { profile, nodes, cell: { ...base, dims, id: cellId(dims) } };
}

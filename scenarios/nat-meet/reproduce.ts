// What `rcnc reproduce nat-meet` runs and tells: the classic failure on a small netns lab (or on a
// cluster the user points at), a single node with add-node (the story operators live: add-node
// claims success) or several nodes with the joiner dialling its own node, as a numbered story
// (explain.ts).
import { labProfiles } from '../../src/deploy/netns/profiles.ts';
import { cellId, type Cell } from '../../src/model/cell.ts';
import type { FamilyReproduction } from '../../src/suite/family.ts';
import { UsageError } from '../../src/util/errors.ts';
import { natMeetCells, type NatMeetOptions } from './cells.ts';

export const natMeetReproduction: FamilyReproduction<'nat-meet'> = {
  cell: ({ profile = 'flannel-vxlan', nodes: nodesFlag, provider = 'netns' }) => {
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
    // One node: the classic cni0 case. More: the joiner dials its own node and the endpoint is remote.
    const base = natMeetCells(provider).find(
      (c) =>
        c.dims.profile === profile &&
        c.dims.exposure === 'nodeport' &&
        c.dims.announce === 'none' &&
        c.dims.policy === 'Cluster' &&
        // The story is the one operators live: add-node, which claims success.
        (nodes === 1 ? c.dims.variant === 'add-node' : c.dims.variant === 'dial-own-node'),
    )!;
    const dims = { ...base.dims, nodes };
    return { ...base, dims, id: cellId(dims) };
  },
  run: async (provider, cell, scenario) => {
    // Loaded when a cell runs: the reports that look the family up need none of it.
    const [{ runNatMeet }, { explainNatMeet }] = await Promise.all([import('./run.ts'), import('./explain.ts')]);
    const run = await runNatMeet(provider, cell as Cell<'nat-meet', NatMeetOptions>, scenario);
    return {
      record: run.record,
      story: explainNatMeet(run),
      json: {
        cell: run.record,
        views: Object.fromEntries(run.before.map((v) => [v.member, v.raw])),
        viewsAfterFix: run.after && Object.fromEntries(run.after.map((v) => [v.member, v.raw])),
      },
      asExpected: run.record.observation?.meet === cell.expectation.meet,
    };
  },
};

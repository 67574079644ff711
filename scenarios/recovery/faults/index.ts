// The recovery faults, one file per kind: what each does to the cluster and what it reports.
import type { RecoveryKind } from '../cells.ts';
import { failoverUnderTraffic } from './failover.ts';
import { isolateNode } from './isolate-node.ts';
import type { Fault } from './lab.ts';
import { nodeLoss } from './node-loss.ts';
import { partitionLink } from './partition-link.ts';
import { podChurn } from './pod-churn.ts';
import { rollingRestart } from './rolling-restart.ts';
import { scaleOut } from './scale-out.ts';
import { wholeRestart } from './whole-restart.ts';

export const FAULTS: Record<RecoveryKind, Fault> = {
  'pod-churn-master': (lab) => podChurn(lab, lab.masters[0]!),
  'pod-churn-replica': (lab) => podChurn(lab, lab.replicas[0]!),
  'whole-restart': wholeRestart,
  'node-loss': nodeLoss,
  failover: failoverUnderTraffic,
  'rolling-restart': rollingRestart,
  'scale-out': scaleOut,
  'partition-link': partitionLink,
  'isolate-node': isolateNode,
};

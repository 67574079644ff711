// What scenario files share: the provider for a cell, or the reason the cell cannot run here.
// `RCNC_REQUIRE_LAB=1` (CI sets it) turns "cannot run here" into a failure instead of a skip.
import type { Cell } from '../cells.ts';
import { NetnsProvider } from '../deploy/netns/netns.ts';
import { describeUnmet, type Provider } from '../deploy/provider.ts';
import type { CellRecord } from '../report/results.ts';
import { RequirementError } from '../util/errors.ts';

let netns: Promise<{ provider: Provider; skipReason?: string }> | undefined;

export function providerFor(cell: Cell<unknown>): Promise<{ provider: Provider; skipReason?: string }> {
  if (cell.dims.provider !== 'netns') {
    return Promise.resolve({
      provider: new NetnsProvider(),
      skipReason: `provider ${cell.dims.provider} is not available in this version of rcnc`,
    });
  }
  netns ??= (async () => {
    const provider = new NetnsProvider({ runId: process.env.RCNC_RUN_ID });
    const reason = describeUnmet(await provider.check());
    if (reason && process.env.RCNC_REQUIRE_LAB === '1') {
      throw new RequirementError(`RCNC_REQUIRE_LAB=1 but the netns lab cannot run here: ${reason}`);
    }
    return { provider, skipReason: reason || undefined };
  })();
  return netns;
}

/** The record a cell starts with, so even a cell that fails early reaches the report. */
export const initialRecord = (cell: Cell<unknown>): CellRecord => ({
  id: cell.id,
  title: cell.title,
  dims: cell.dims,
  expectation: cell.expectation,
  timings: {},
  artifacts: [],
});

// `rcnc k3d -- ARGS`: the real k3d binary (never the unrelated npm package named k3d).
import { runK3dPassthrough } from '../deploy/k3d/binary.ts';
import { help } from './help.ts';

export async function cmdK3d(args: string[]): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h') {
    return help('k3d');
  }
  // Everything after `--` (or everything, if there is none) goes to the real k3d binary.
  const rest = args[0] === '--' ? args.slice(1) : args;
  return runK3dPassthrough(rest);
}

// Runs in every lab worker before its test files: labs are torn down when the worker is told to
// stop (SIGINT, SIGTERM) and when the process that forked it goes away without a word (killed, even
// with SIGKILL), so teardown never depends on which process a signal reached. After each file the
// providers it built are closed: what they shared between its cells (k3d clusters) goes with the
// file that made it, and a failure to remove it fails the file's afterAll, with the reason.
import { afterAll } from 'vitest';
import { installShutdownHooks } from '../util/teardown.ts';
import { closeProviders } from './harness.ts';

installShutdownHooks();
afterAll(closeProviders);

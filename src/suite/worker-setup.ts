// Runs in every lab worker before its test files: labs are torn down when the worker is told to
// stop (SIGINT, SIGTERM) and when the process that forked it goes away without a word (killed, even
// with SIGKILL), so teardown never depends on which process a signal reached.
import { installShutdownHooks } from '../util/teardown.ts';

installShutdownHooks();

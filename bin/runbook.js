#!/usr/bin/env -S node --
// Thin on purpose: start-up time is a measured goal, so everything heavy loads lazily inside the CLI. The
// one thing done before the CLI loads: a first --list's analysis thread starts (dist/analysis/early.js).
// `node --` before the script: Node 20 otherwise takes a `--env-file` meant for runbook as its own
// (nodejs/node#54232) and stops when that file is missing.
import { startEarly } from '../dist/analysis/early.js';

const argv = process.argv.slice(2);
const early = startEarly(argv);
const { main } = await import('../dist/cli/cli.js');
process.exitCode = await main({ argv, early });

#!/usr/bin/env -S node --
// Thin on purpose: start-up time is a measured goal, so everything heavy loads lazily inside the CLI.
// `node --` before the script: Node 20 otherwise takes a `--env-file` meant for runbook as its own
// (nodejs/node#54232) and stops when that file is missing.
import { main } from '../dist/cli/cli.js';

process.exitCode = await main({ argv: process.argv.slice(2) });

#!/usr/bin/env node
// Thin on purpose: start-up time is a measured goal, so everything heavy loads lazily inside the CLI.
import { main } from '../dist/cli/cli.js';

process.exitCode = await main({ argv: process.argv.slice(2) });

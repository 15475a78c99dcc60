// Runs the variable analysis in a short-lived child process: the bash parser (mvdan/sh compiled to
// JavaScript) is large and slow to load (npm run bench measures start-up), which the runner then never holds while steps run.
// Steps arrive as JSON on stdin; the analyses leave as JSON on stdout.
import type { Step } from '../core/types.ts';
import { analyzeRunbook } from './analyze.ts';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const steps = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Step[];
process.stdout.write(JSON.stringify(await analyzeRunbook(steps)));

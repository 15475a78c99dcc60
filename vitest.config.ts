import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // A private $XDG_RUNTIME_DIR for the runs, and a failure when one leaves a scratch directory in it.
    globalSetup: ['test/helpers/scratch-guard.ts'],
    // Most tests wait on real bash, terminals and a browser rather than the CPU: two workers on two
    // cores keep the suite well inside CI's budget. The longer timeouts leave room for that sharing.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

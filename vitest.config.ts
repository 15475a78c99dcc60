import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // A private $XDG_RUNTIME_DIR for the runs, and a failure when one leaves a scratch directory in it.
    globalSetup: ['test/helpers/scratch-guard.ts'],
  },
});

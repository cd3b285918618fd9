import { defineConfig } from 'vitest/config';

// Integration tests open real sockets and spawn real processes: give them room,
// and keep parallelism modest on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});

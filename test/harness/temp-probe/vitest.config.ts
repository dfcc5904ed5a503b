import { defineConfig } from 'vitest/config';

// The main config's temporary-folder handling, without its servers: see temp-root.test.ts.
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['leaves-a-folder.test.ts'],
    setupFiles: ['../temp-root.ts'],
  },
});

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the admin listener at /console/ (docs/architecture/console.md#serving): hashed assets under
// /console/assets/, cached for a year; no inline script anywhere, so the CSP can forbid them.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1000,
  },
});

import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev -w web` proxies the API to a `verdict serve` on its default port.
const API = process.env.VERDICT_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Monaco and its TypeScript worker are megabytes by nature; they load only with the editor chunk.
    chunkSizeWarningLimit: 8000,
  },
  worker: { format: 'es' },
  server: { proxy: { '/api': API, '/openapi.json': API } },
});

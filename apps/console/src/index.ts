import { fileURLToPath } from 'node:url';

/**
 * Folder of the built console (`index.html` and `assets/`), as `pnpm build` leaves it.
 * The gateway serves it at `/`; any static file server can too, with `index.html` as the
 * fallback for the console's routes.
 */
export const consoleAssetsDir: string = fileURLToPath(new URL('../dist/app', import.meta.url));

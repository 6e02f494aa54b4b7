import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium package. */
export const CHROMIUM = process.env.LLMTEAM_CHROMIUM ?? '/usr/bin/chromium';

/** Screenshots of the browser tests (gitignored), to look at after a run. */
export const ARTIFACTS = fileURLToPath(new URL('../artifacts', import.meta.url));

/** Whether Chromium is installed; on CI a missing one is an error, not a skip. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true')
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)`,
    );
  console.warn(`skipping browser tests: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  return false;
}

/**
 * Headless Chromium with a fresh profile (its own `--user-data-dir`) and no background
 * traffic. Session storage is per tab, so each page of the context is a separate sign-in.
 */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'llmteam-chromium-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1366, height: 860 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

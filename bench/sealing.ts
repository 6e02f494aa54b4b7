/**
 * Sealing and opening one step's fields (envelope encryption with a cached run data key),
 * against the bare node:crypto AES-256-GCM call it wraps, in the same run. Target: under
 * 50 µs per step for sealing plus opening.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { collectSealed, Sealer, staticKeyProvider } from '@llmteam/core';

const TARGET_US = 50;
const N = 20_000;

export async function run(): Promise<unknown> {
  const sealer = new Sealer(staticKeyProvider({ keys: { k1: randomBytes(32) } }));
  const key = await sealer.dataKey('default', 'run_bench');
  const output = {
    card: { number: '4111-1111-1111-1111', cvc: '123' },
    customer: { tax_id: 'DE123456789' },
    amount: 12,
  };
  const paths = ['card.number', 'card.cvc', 'customer.tax_id'];
  // Warm up.
  for (let i = 0; i < 1000; i++) sealer.sealPaths(output, paths, key, 'default', 'charge', 'internal');
  let t = performance.now();
  let sealed: unknown;
  for (let i = 0; i < N; i++) sealed = sealer.sealPaths(output, paths, key, 'default', 'charge', 'internal');
  const sealUs = ((performance.now() - t) * 1000) / N;
  const values = collectSealed(sealed);
  t = performance.now();
  for (let i = 0; i < N; i++) for (const v of values) await sealer.open(v, 'default');
  const openUs = ((performance.now() - t) * 1000) / N;
  const dek = randomBytes(32);
  t = performance.now();
  for (let i = 0; i < N; i++) {
    for (const p of ['4111-1111-1111-1111', '123', 'DE123456789']) {
      const c = createCipheriv('aes-256-gcm', dek, randomBytes(12));
      c.update(JSON.stringify(p), 'utf8');
      c.final();
      c.getAuthTag();
    }
  }
  const bareUs = ((performance.now() - t) * 1000) / N;
  const perStep = sealUs + openUs;
  return {
    fields: paths.length,
    seal_us_per_step: Number(sealUs.toFixed(2)),
    open_us_per_step: Number(openUs.toFixed(2)),
    seal_and_open_us_per_step: Number(perStep.toFixed(2)),
    target_us: TARGET_US,
    within_target: perStep < TARGET_US,
    bare_aes_gcm_us_for_same_fields: Number(bareUs.toFixed(2)),
  };
}

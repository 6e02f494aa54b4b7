import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { createEngine, isPlugin, MemoryStore } from '@llmteam/core';
import { expect, test } from 'vitest';
import grpcActions, { createGrpcActionType } from './index.js';

test('the default export is a plugin named like its package', () => {
  expect(isPlugin(grpcActions)).toBe(true);
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect([grpcActions.name, grpcActions.version]).toEqual([pkg.name, pkg.version]);
});

test('the README example runs as written (in a scratch directory)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmteam-grpc-readme-'));
  const file = join(dir, 'greeter.proto');
  writeFileSync(
    file,
    `syntax = "proto3"; package demo;
service Greeter { rpc Hello (HelloRequest) returns (HelloReply); }
message HelloRequest { string name = 1; } message HelloReply { string text = 1; }`,
  );
  const demo = grpc.loadPackageDefinition(loader.loadSync(file)) as any;
  const server = new grpc.Server();
  server.addService(demo.demo.Greeter.service, {
    Hello: (call: any, done: any) => done(null, { text: `hello ${call.request.name}` }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const engine = createEngine({
    store: new MemoryStore(),
    actionTypes: [createGrpcActionType({ protoDir: dir })],
    actions: {
      hello: {
        type: 'grpc',
        address: `127.0.0.1:${port}`,
        proto: 'greeter.proto',
        service: 'demo.Greeter',
        method: 'Hello',
        timeout: 'PT5S',
      },
    },
  });
  await engine.start();
  const result = await engine.actions.execute(
    'hello',
    { name: 'ada' },
    { tenantId: 'default', idempotencyKey: 'k1' },
  );
  expect(result.data).toEqual({ text: 'hello ada' });
  await engine.stop();
  server.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

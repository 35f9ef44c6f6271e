import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('loadConfig', () => {
  it('has safe defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config.openHumans.baseUrl).toBe('https://www.openhumans.org');
    expect(config.server.port).toBe(4000);
    expect(config.server.corsOrigins).toEqual([]);
    expect(config.server.graphiql).toBe(true);
    expect(config.pagination).toEqual({ defaultPageSize: 20, maxPageSize: 100 });
    expect(config.publicCache.ttlMs).toBe(60_000);
    expect(config.redisUrl).toBeNull();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server.corsOrigins)).toBe(true);
  });

  it('parses every variable', () => {
    const config = loadConfig({
      OPENHUMANS_BASE_URL: 'http://127.0.0.1:8100/',
      OPENHUMANS_CLIENT_ID: 'client-id',
      OPENHUMANS_CLIENT_SECRET: 'fake-client-secret',
      OPENHUMANS_WEBHOOK_SECRET: 'fake-webhook-secret-1234',
      OPENHUMANS_PROJECT_ID: '42',
      PORT: '0',
      HOST: '127.0.0.1',
      CORS_ORIGINS: 'https://a.example.org, http://localhost:3000',
      REDIS_URL: 'redis://127.0.0.1:6379/0',
      UPSTREAM_CONNECT_TIMEOUT_MS: '100',
      UPSTREAM_HEADERS_TIMEOUT_MS: '200',
      UPSTREAM_BODY_TIMEOUT_MS: '300',
      MAX_PAGE_SIZE: '50',
      DEFAULT_PAGE_SIZE: '10',
      PUBLIC_CACHE_MAX_ENTRIES: '10',
      PUBLIC_CACHE_TTL_SECONDS: '30',
      PUBLIC_CACHE_CATALOG_TTL_SECONDS: '120',
      PUBLIC_CACHE_STALE_SECONDS: '90',
      GRAPHIQL: 'false',
      LOG_LEVEL: 'WARN',
    });
    expect(config.openHumans).toEqual({
      baseUrl: 'http://127.0.0.1:8100',
      clientId: 'client-id',
      clientSecret: 'fake-client-secret',
      webhookSecret: 'fake-webhook-secret-1234',
      projectId: 42,
    });
    expect(config.server).toEqual({
      port: 0,
      host: '127.0.0.1',
      corsOrigins: ['https://a.example.org', 'http://localhost:3000'],
      graphiql: false,
      logLevel: 'warn',
    });
    expect(config.upstream).toMatchObject({
      connectTimeoutMs: 100,
      headersTimeoutMs: 200,
      bodyTimeoutMs: 300,
    });
    expect(config.pagination).toEqual({ defaultPageSize: 10, maxPageSize: 50 });
    expect(config.publicCache).toEqual({
      maxEntries: 10,
      ttlMs: 30_000,
      catalogTtlMs: 120_000,
      staleMs: 90_000,
      responseMaxEntries: 500,
    });
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379/0');
  });

  it('fails fast with ONE error naming every bad variable', () => {
    const bad = {
      OPENHUMANS_BASE_URL: 'ftp://example.org',
      PORT: '70000',
      CORS_ORIGINS: 'https://ok.example.org,not a url',
      UPSTREAM_HEADERS_TIMEOUT_MS: 'soon',
      MAX_PAGE_SIZE: '0',
      PUBLIC_CACHE_TTL_SECONDS: '3600', // download keys expire after 1 h: capped at 600
      GRAPHIQL: 'maybe',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'http://localhost',
      OPENHUMANS_PROJECT_ID: 'abc',
      OPENHUMANS_WEBHOOK_SECRET: 'short',
    };
    let error: unknown;
    try {
      loadConfig(bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { message, problems } = error as ConfigError;
    for (const name of Object.keys(bad)) expect(message).toContain(name);
    expect(problems).toHaveLength(Object.keys(bad).length);
    // The secret's value is not echoed back.
    expect(message).not.toContain('short"');
  });

  it('reads the upstream budget from UPSTREAM_CONCURRENCY (default 32) and refuses the settings it replaced', () => {
    expect(loadConfig({}).upstream.concurrency).toBe(32);
    expect(loadConfig({ UPSTREAM_CONCURRENCY: '8' }).upstream.concurrency).toBe(8);
    for (const name of ['UPSTREAM_CONNECTIONS', 'UPSTREAM_MAX_CONCURRENCY', 'UPSTREAM_MAX_QUEUE']) {
      expect(() => loadConfig({ [name]: '64' })).toThrow(
        new RegExp(`${name} was replaced by UPSTREAM_CONCURRENCY`),
      );
    }
    expect(() => loadConfig({ UPSTREAM_CONCURRENCY: '0' })).toThrow(ConfigError);
  });

  it('rejects a default page size above the maximum', () => {
    expect(() => loadConfig({ DEFAULT_PAGE_SIZE: '200', MAX_PAGE_SIZE: '100' })).toThrow(
      /DEFAULT_PAGE_SIZE.*MAX_PAGE_SIZE/,
    );
  });

  it('never reads a token from the environment', () => {
    const config = loadConfig({ OPENHUMANS_MASTER_TOKEN: 'x'.repeat(64), ACCESS_TOKEN: 'fake' });
    expect(JSON.stringify(config)).not.toContain('x'.repeat(64));
  });
});

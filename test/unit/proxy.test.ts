import { describe, expect, it } from 'vitest';
import { parseProxyEnvironment, proxyFor } from '../../src/proxy/proxy.js';

const settings = (env: Parameters<typeof parseProxyEnvironment>[0]) => parseProxyEnvironment(env).settings;
const via = (url: string, env: Parameters<typeof parseProxyEnvironment>[0]) => proxyFor(new URL(url), settings(env))?.href;

describe('which proxy a request uses', () => {
  const env = { httpsProxy: 'http://proxy.corp:3128', httpProxy: 'proxy.corp:8080', noProxy: ' .internal, 10.0.0.5 ,db.example.com:8443' };

  it('https URLs use HTTPS_PROXY, http URLs HTTP_PROXY (a bare host:port is http://)', () => {
    expect(via('https://sts.us-east-1.amazonaws.com/', env)).toBe('http://proxy.corp:3128/');
    expect(via('http://api.staging.example.com/health', env)).toBe('http://proxy.corp:8080/');
    expect(via('https://x.example.com/', { httpProxy: 'http://p:1' })).toBeUndefined();
  });

  it('NO_PROXY: domains with or without a dot match subdomains, IPs exactly, host:port only that port, * everything', () => {
    expect(via('https://db.internal/', env)).toBeUndefined();
    expect(via('https://a.b.internal/', env)).toBeUndefined();
    expect(via('https://internal.example.com/', env)).toBe('http://proxy.corp:3128/');
    expect(via('http://10.0.0.5:9000/', env)).toBeUndefined();
    expect(via('http://10.0.0.50/', env)).toBe('http://proxy.corp:8080/');
    expect(via('https://db.example.com:8443/', env)).toBeUndefined();
    expect(via('https://db.example.com/', env)).toBe('http://proxy.corp:3128/');
    expect(via('https://anything/', { ...env, noProxy: '*' })).toBeUndefined();
    expect(via('https://s3.amazonaws.com/', { ...env, noProxy: 'amazonaws.com' })).toBeUndefined();
  });

  it('loopback is proxied unless NO_PROXY lists it', () => {
    expect(via('http://127.0.0.1:9000/', env)).toBe('http://proxy.corp:8080/');
    expect(via('http://127.0.0.1:9000/', { ...env, noProxy: '127.0.0.1' })).toBeUndefined();
  });

  it('masks proxy credentials and refuses what is not an HTTP proxy', () => {
    const parsed = parseProxyEnvironment({ httpsProxy: 'http://ci:p%40ss@proxy:3128', httpProxy: 'socks5://proxy:1080' });
    expect(parsed.secrets).toEqual(['p%40ss', 'p@ss']);
    expect(parsed.problems).toEqual(['HTTP_PROXY must be an http:// or https:// proxy, got socks5://.']);
    expect(parsed.settings.http).toBeUndefined();
  });
});

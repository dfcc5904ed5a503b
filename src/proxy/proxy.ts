/**
 * Which proxy, if any, a request goes through: the runner's HTTPS_PROXY / HTTP_PROXY / NO_PROXY
 * (read by main, passed in through the config), decided per URL like curl does. Pure: no I/O.
 */

/** The runner's proxy variables (lowercase ones win, as curl and @actions/http-client read them). */
export interface ProxyEnvironment {
  httpsProxy?: string;
  httpProxy?: string;
  noProxy?: string;
}

export interface ProxySettings {
  /** For `https:` URLs. */
  https?: URL;
  /** For `http:` URLs. */
  http?: URL;
  /** NO_PROXY entries, lowercased: `*`, hosts, `.domains`, `host:port`. */
  bypass: string[];
}

export const NO_PROXY: ProxySettings = { bypass: [] };

/** Parses the variables; a proxy URL without a scheme is `http://` (as curl reads `proxy:3128`). */
export function parseProxyEnvironment(env: ProxyEnvironment): { settings: ProxySettings; problems: string[]; secrets: string[] } {
  const problems: string[] = [];
  const secrets: string[] = [];
  const parse = (name: string, text: string | undefined): URL | undefined => {
    if (!text?.trim()) return undefined;
    const raw = text.trim();
    let url: URL;
    try {
      url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
    } catch {
      problems.push(`${name} is not a proxy URL (expected e.g. http://proxy.internal:3128).`);
      return undefined;
    }
    if (url.password) secrets.push(url.password, decodeSafely(url.password));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      problems.push(`${name} must be an http:// or https:// proxy, got ${url.protocol}//.`);
      return undefined;
    }
    return url;
  };
  const settings: ProxySettings = {
    https: parse('HTTPS_PROXY', env.httpsProxy),
    http: parse('HTTP_PROXY', env.httpProxy),
    bypass: (env.noProxy ?? '')
      .split(',')
      .map((entry) => entry.trim().toLowerCase())
      .filter(Boolean),
  };
  return { settings, problems, secrets: secrets.filter(Boolean) };
}

/** The proxy for `url`, or undefined to connect directly. Loopback is not special: list it in NO_PROXY. */
export function proxyFor(url: URL, settings: ProxySettings): URL | undefined {
  const proxy = url.protocol === 'https:' ? settings.https : url.protocol === 'http:' ? settings.http : undefined;
  if (!proxy || bypasses(url, settings.bypass)) return undefined;
  return proxy;
}

function bypasses(url: URL, bypass: string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return bypass.some((entry) => {
    if (entry === '*') return true;
    const [, name = entry, entryPort] = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[(.*)\](:\d+)?$/, '$1$2')) ?? [];
    if (entryPort && entryPort !== port) return false;
    const domain = name.replace(/^\*?\./, '');
    return host === domain || host.endsWith(`.${domain}`);
  });
}

/** `http://proxy.internal:3128`, credentials left out: for the log. */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// `tunnel` (bundled with @actions/http-client) ships no types: the part used here.
declare module 'tunnel' {
  import type { EventEmitter } from 'node:events';
  interface TunnelOptions {
    maxSockets?: number;
    proxy: { host: string; port: number; proxyAuth?: string; headers?: Record<string, string> };
  }
  const tunnel: {
    httpOverHttp(options: TunnelOptions): EventEmitter;
    httpsOverHttp(options: TunnelOptions): EventEmitter;
    httpOverHttps(options: TunnelOptions): EventEmitter;
    httpsOverHttps(options: TunnelOptions): EventEmitter;
  };
  export default tunnel;
}

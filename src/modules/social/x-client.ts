import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { TwitterApi, type IClientSettings, type ITwitterApiClientPlugin } from 'twitter-api-v2';

/**
 * Rewrites the absolute https://api.x.com/… (and api.twitter.com, upload., stream.) URLs that
 * twitter-api-v2 builds to another base URL (X_API_BASE_URL: the fake X API in tests and demos).
 * The library calls `https.request` with those URLs, some hard-coded, so a `client.v2` prefix alone
 * is not enough (STACK.md).
 */
export function xBaseUrlPlugin(baseUrl: string): ITwitterApiClientPlugin {
  const base = baseUrl.replace(/\/+$/, '');
  const hosts = /^https:\/\/(?:api|upload|stream)\.(?:x|twitter)\.com(?=\/|$)/;
  const rewrite = (params: { url: string }) => {
    params.url = params.url.replace(hosts, base);
  };
  return {
    onBeforeRequestConfig: ({ params }) => rewrite(params),
    onBeforeStreamRequestConfig: ({ params }) => rewrite(params),
  };
}

export interface XClientHandle {
  client: TwitterApi;
  /** Destroy at shutdown: a keep-alive agent holds sockets open. */
  close(): void;
}

/**
 * An app-only (bearer) twitter-api-v2 client. `compression: false` on purpose: with compression,
 * twitter-api-v2 1.29 never settles a request whose connection dies mid-body (the gunzip stream
 * never emits 'close'); without it the same cut rejects with ApiPartialResponseError and the
 * poller can retry.
 */
export function createXClient(bearerToken: string, baseUrl?: string): XClientHandle {
  const http = !!baseUrl && baseUrl.startsWith('http:');
  const agent = http ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true });
  const settings: Partial<IClientSettings> = {
    compression: false,
    httpAgent: agent,
    plugins: baseUrl ? [xBaseUrlPlugin(baseUrl)] : [],
  };
  const client = new TwitterApi(bearerToken, settings);
  return { client, close: () => agent.destroy() };
}

import { Agent } from 'node:http';
import {
  TwitterApi,
  type IClientSettings,
  type ITwitterApiClientPlugin,
  type TwitterApiTokens,
} from 'twitter-api-v2';

/**
 * Points twitter-api-v2 at another base URL (the fake). The library builds absolute
 * https://api.x.com/… URLs (some hard-coded: users/me, oauth2/token) and calls `https.request`,
 * so rewriting the URL in onBeforeRequestConfig and passing an http.Agent is what works
 * (measured, see STACK.md). The app's social module needs the same thing for X_API_BASE_URL.
 */
export function redirectPlugin(baseUrl: string): ITwitterApiClientPlugin {
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

/**
 * A twitter-api-v2 client talking to the fake: app-only bearer by default; pass
 * 'test-user-token' (or OAuth 1.0a tokens whose accessToken starts with '<userId>-') for user
 * context. `settings` are passed on (e.g. `{ compression: false }`).
 */
export function fakeXClient(
  baseUrl: string,
  token: string | TwitterApiTokens = 'test-bearer-token',
  settings: Partial<IClientSettings> = {},
): { client: TwitterApi; agent: Agent } {
  const agent = new Agent({ keepAlive: true });
  const clientSettings: Partial<IClientSettings> = {
    httpAgent: agent,
    ...settings,
    plugins: [redirectPlugin(baseUrl), ...(settings.plugins ?? [])],
  };
  const client =
    typeof token === 'string'
      ? new TwitterApi(token, clientSettings)
      : new TwitterApi(token, clientSettings);
  return { client, agent };
}

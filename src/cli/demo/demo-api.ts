/**
 * The demo talks to Escale the way any client does: GraphQL over HTTP, with the admin's bearer
 * token. Nothing here knows the application's internals.
 */
const REQUEST_TIMEOUT_MS = 120_000;

export class DemoApiError extends Error {
  constructor(
    readonly operation: string,
    readonly errors: Array<{ message: string; extensions?: { code?: string } }>,
  ) {
    super(
      `${operation}: ${errors.map((e) => `${e.extensions?.code ?? 'ERROR'} ${e.message}`).join('; ')}`,
    );
  }
}

export class DemoApi {
  private token?: string;

  constructor(private readonly url: string) {}

  async request<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const operation = /(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? 'graphql';
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
      // A demo that hangs says nothing: fail loudly instead.
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await response.json().catch(() => ({}))) as {
      data?: T;
      errors?: DemoApiError['errors'];
    };
    if (body.errors?.length) throw new DemoApiError(operation, body.errors);
    if (!response.ok || !body.data)
      throw new DemoApiError(operation, [{ message: `HTTP ${response.status}` }]);
    return body.data;
  }

  async login(email: string, password: string): Promise<void> {
    const data = await this.request<{ login: { accessToken: string } }>(
      'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
      { email, password },
    );
    this.token = data.login.accessToken;
  }
}

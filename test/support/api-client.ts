// A tiny JSON client for Parley's REST API, and registration of fresh users. It imports nothing
// from src/, so tools compiled apart from the server (the bench under load/) can use it too.

export interface ApiResponse {
  status: number;
  // Tests inspect arbitrary JSON; each assertion says what it expects.
  body: Record<string, any>;
}

export class Api {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  as(token: string): Api {
    return new Api(this.baseUrl, token);
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(this.token && { authorization: `Bearer ${this.token}` }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: ApiResponse['body'] = {};
    try {
      parsed = text ? (JSON.parse(text) as ApiResponse['body']) : {};
    } catch {
      parsed = { raw: text };
    }
    return { status: res.status, body: parsed };
  }

  get(path: string): Promise<ApiResponse> {
    return this.request('GET', path);
  }
  post(path: string, body?: unknown): Promise<ApiResponse> {
    return this.request('POST', path, body);
  }
  patch(path: string, body?: unknown): Promise<ApiResponse> {
    return this.request('PATCH', path, body);
  }
  delete(path: string): Promise<ApiResponse> {
    return this.request('DELETE', path);
  }
}

export interface TestUser {
  id: string;
  username: string;
  token: string;
  api: Api;
}

let counter = 0;
/** Registers a fresh user with a unique name. */
export async function registerUser(api: Api, prefix = 'u'): Promise<TestUser> {
  const username = `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  const res = await api.post('/api/v1/auth/register', {
    username,
    password: 'correct horse battery',
  });
  if (res.status !== 201)
    throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  const data = res.body.data as { user: { id: string }; access_token: string };
  return { id: data.user.id, username, token: data.access_token, api: api.as(data.access_token) };
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  json: unknown;
}

/** A raw request to the simulator, bypassing the client (to see exactly what it answers). */
export async function call(base: string, method: 'GET' | 'POST', path: string, body?: unknown, auth: string | null = 'Token contiguity_sk_test'): Promise<RawAnswer> {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

/** Numbers valid for libphonenumber (US, 555-01xx is reserved for fiction). */
export function numbers(n: number, prefix = '+1415555'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(2000 + i).padStart(4, '0')}`);
}

// Checks real HTTP answers against the route table the OpenAPI document is generated from, and
// records which routes have been seen succeeding, so a suite can require all of them.
import type { ZodTypeAny } from 'zod';
import { errorEnvelope } from '../../src/http/openapi/envelopes';
import { routeTable, type RouteDoc } from '../../src/http/openapi/route-table';

const matcherOf = (route: RouteDoc): RegExp =>
  new RegExp(`^${route.path.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`);

export class DocumentedResponses {
  readonly succeeded = new Set<RouteDoc>();

  /** The documented route a concrete request hit. */
  routeFor(method: string, url: string): RouteDoc {
    const path = url.split('?')[0] ?? url;
    const route = routeTable.find(
      (r) => r.method === method.toLowerCase() && matcherOf(r).test(path),
    );
    if (!route) throw new Error(`${method} ${path} is not in the route table`);
    return route;
  }

  /** Fails unless the status is documented for the route and the body matches its schema. */
  check(method: string, url: string, status: number, body: unknown, contentType = ''): void {
    const route = this.routeFor(method, url);
    const where = `${method} ${url} → ${status}`;
    if (route.success.statuses.includes(status)) {
      if ('body' in route.success) assertMatches(route.success.body, body, where);
      else if (!contentType.startsWith(route.success.mediaType))
        throw new Error(
          `${where}: content-type ${contentType}, documented ${route.success.mediaType}`,
        );
      this.succeeded.add(route);
      return;
    }
    if (!route.errors.includes(status)) throw new Error(`${where}: status not documented`);
    assertMatches(errorEnvelope, body, where);
  }

  /** Documented routes never seen succeeding. */
  unexercised(): string[] {
    return routeTable
      .filter((r) => !this.succeeded.has(r))
      .map((r) => `${r.method.toUpperCase()} ${r.path}`);
  }
}

function assertMatches(schema: ZodTypeAny, body: unknown, where: string): void {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new Error(
      `${where}: body does not match its schema: ${JSON.stringify(result.error.issues.slice(0, 5))}\n${JSON.stringify(body).slice(0, 500)}`,
    );
  }
}

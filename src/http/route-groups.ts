// Mounting the route table (src/route-table.ts) with each group's guards
// (issue #13). The guards are no longer global: a route gets the ones of its
// group, so a machine-to-machine endpoint (a future OAuth token endpoint:
// form-encoded, no cookie, called from another site) is outside the browser
// guards by construction, while every browser route keeps both. The body
// limit, request ID, logging and error audit stay global (http/app.ts).
//
// Each endpoint is one handler, or a JSON handler and a form handler chosen
// here, by content type, in one place (`dispatch`).
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { LatchkeyConfig } from '../config.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { Policy } from '../core/policy.ts';
import type { CookieNames } from './cookies.ts';
import { GROUP_PREFIXES, ROUTE_NAMES, ROUTES, type RouteGroup, type RouteName, type RouteSpec } from '../route-table.ts';
import { adminTokenGuard } from './admin-token.ts';
import { crossSiteGuard } from './cross-site.ts';
import { csrfGuard } from './csrf.ts';
import type { AppEnv } from './env.ts';
import { isFormRequest } from './request.ts';

export type Handler = (c: Context<AppEnv>) => Response | Promise<Response>;

/** An endpoint that answers JSON clients and the hosted pages' forms differently: one handler each. */
export interface JsonAndForm {
  /** Anything that is not a form (JSON, or a body the handler refuses). */
  json: Handler;
  /** application/x-www-form-urlencoded or multipart/form-data (http/request.ts isFormRequest). */
  form: Handler;
}

export type Endpoint = Handler | JsonAndForm;

/** What a route file serves, by route name; a name left out is not mounted (admin without its token, …). */
export type Endpoints = Partial<Record<RouteName, Endpoint>>;

/** The guards of each group an app serves; mounting a route of a group left out is a programming error. */
export type GroupGuards = Readonly<Partial<Record<RouteGroup, readonly MiddlewareHandler<AppEnv>[]>>>;

export interface GuardDeps {
  /** LATCHKEY_ADMIN_TOKEN: the admin group's guard. */
  config: Pick<LatchkeyConfig, 'adminToken'>;
  policy: Pick<Policy, 'checkCrossSite' | 'checkFormToken' | 'checkAdmin'>;
  /** This browser's CSRF cookie name, and the key its form tokens are checked with (http/csrf-token.ts). */
  cookies: CookieNames;
  csrfKey: Buffer;
  /** How a guard's refusal is answered (http/app.ts: the error page for a browser, JSON otherwise). */
  refuse: (c: Context<AppEnv>, code: ErrorCode) => Response | Promise<Response>;
}

/** Each group's guards, built once. */
export function groupGuards(deps: GuardDeps): Required<GroupGuards> {
  // Login CSRF by Origin / Fetch Metadata, then this browser's form token: what every
  // route reached with the session cookie gets (as every route did before groups).
  const browser = [crossSiteGuard(deps), csrfGuard(deps)];
  return {
    browser,
    api: browser,
    admin: deps.config.adminToken ? [...browser, adminTokenGuard(deps.config.adminToken, deps)] : browser,
    // No cookie is read or set there: the client authenticates itself in the request.
    machine: [],
    // Forward-auth: a GET that changes nothing and sets no cookie, asked on behalf of any app behind the proxy.
    proxy: [],
    system: [],
    metrics: [],
    dev: [],
  };
}

/** The one place a request is told apart by content type: a form gets the form handler, anything else the JSON one. */
function dispatch(endpoint: Endpoint): Handler {
  if (typeof endpoint === 'function') return endpoint;
  const { json, form } = endpoint;
  return (c) => (isFormRequest(c) ? form(c) : json(c));
}

/** One route with its group's guards in front (a prefixed group has them on its prefix already). */
export function mountRoute(app: Hono<AppEnv>, guards: GroupGuards, spec: RouteSpec, endpoint: Endpoint): void {
  const own = guards[spec.group];
  if (!own) throw new Error(`${spec.method} ${spec.path}: no guards for the ${spec.group} group in this app`);
  const handlers: Array<MiddlewareHandler<AppEnv> | Handler> = [...(GROUP_PREFIXES[spec.group] === undefined ? own : []), dispatch(endpoint)];
  app.on(spec.method, [spec.path], ...handlers);
}

/** Every route of the table that `endpoints` serves, in the table's order. */
export function mountRoutes(app: Hono<AppEnv>, guards: GroupGuards, endpoints: Endpoints): void {
  const served = ROUTE_NAMES.filter((name) => endpoints[name] !== undefined);
  for (const [group, prefix] of Object.entries(GROUP_PREFIXES) as [RouteGroup, string][]) {
    // Before its routes, so an unknown path under the prefix is guarded like them (an unknown /admin path asks for the token).
    if (served.some((name) => ROUTES[name].group === group)) app.use(`${prefix}*`, ...(guards[group] ?? []));
  }
  for (const name of served) mountRoute(app, guards, ROUTES[name], endpoints[name]!);
}

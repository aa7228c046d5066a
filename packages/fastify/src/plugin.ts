import { createGate, type Gate, type GateOptions, type GateResult, NodeGateRequest } from '@ipgate/node';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The plugin's options: the gate options for every route.
 *
 * @example
 * await app.register(ipGate, { allow: ['203.0.113.0/24'] });
 */
export type IpGatePluginOptions = GateOptions;

/**
 * Per-route settings, in the route's `config.ipGate`: `false` turns the gate off for the route (a
 * health check); an object sets options for it, the rest inherited from the plugin's. A route's own
 * `allow` **narrows**: the plugin's rules run first and the route's after, and a caller must pass both
 * (as stacked Express middlewares do). `replace: true` makes the route's options replace the plugin's
 * instead, so a route can admit callers the plugin does not.
 *
 * @example
 * app.get('/healthz', { config: { ipGate: false } }, async () => 'ok');
 * app.get('/admin', { config: { ipGate: { allow: ['10.0.0.0/8'] } } }, async () => 'admin'); // plugin's AND 10/8
 * app.get('/partner', { config: { ipGate: { allow: ['198.51.100.0/24'], replace: true } } }, async () => 'p');
 */
export type RouteIpGateConfig =
  | false
  | (Partial<GateOptions> & {
      /** The route's options replace the plugin's instead of narrowing them. Default false. */
      readonly replace?: boolean;
    });

/** A route's compiled setting: its gate, and whether the plugin's gate must pass first. */
interface RouteGate {
  readonly gate: Gate;
  readonly narrows: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    ipGate?: RouteIpGateConfig;
  }
  interface FastifyRequest {
    /** The gate's answer for this request (undefined on routes with the gate turned off). */
    ipgate?: GateResult;
  }
}

// Kept in the route's config under a symbol, where Fastify copies it into the route context.
const ROUTE_GATE = Symbol('ipgate.route-gate');

const plugin: FastifyPluginCallback<IpGatePluginOptions> = (fastify, options, done) => {
  let base: Gate;
  try {
    base = createGate(options);
  } catch (error) {
    done(error as Error);
    return;
  }
  const routeGates: Gate[] = [];
  // Until a route has its own setting, every request uses the base gate, and the hook skips
  // `request.routeOptions` (a getter that builds a dozen-field object on every call).
  let anyRouteSetting = false;
  // Declared on the request prototype, so setting it per request keeps Fastify's request shape.
  if (!fastify.hasRequestDecorator('ipgate')) fastify.decorateRequest('ipgate', undefined);

  fastify.addHook('onRoute', (route) => {
    const setting = route.config?.ipGate;
    if (setting === undefined) return;
    anyRouteSetting = true;
    // Compiled once per route when it is added, so a bad per-route setting fails at startup.
    let compiled: RouteGate | null = null;
    if (setting !== false) {
      const { replace, ...own } = setting;
      const gate = createGate({ ...options, ...own } as GateOptions);
      if (own.allow !== undefined) routeGates.push(gate);
      compiled = { gate, narrows: own.allow !== undefined && replace !== true };
    }
    route.config = { ...route.config, [ROUTE_GATE]: compiled } as NonNullable<typeof route.config>;
  });

  // Global, not per route: it also guards the 404 handler and runs before later plugins' hooks.
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, next) => {
    const routeGate = anyRouteSetting
      ? (request.routeOptions.config as unknown as Record<symbol, RouteGate | null | undefined>)[ROUTE_GATE]
      : undefined;
    if (routeGate === null) {
      next();
      return;
    }
    // The raw request's headers are what request.headers returns (without inject's additions, which
    // no real client sends), and the gate reads them only when a strategy or `keys` needs them.
    const gateRequest = new NodeGateRequest(request.raw);
    let result = (routeGate === undefined || routeGate.narrows ? base : routeGate.gate).check(gateRequest);
    // Narrowing: the plugin's rules let the caller through; the route's must too.
    if (result.allow && routeGate?.narrows === true) result = routeGate.gate.check(gateRequest);
    request.ipgate = result;
    if (result.allow) {
      next();
      return;
    }
    reply.code(result.status).headers(result.headers).send(result.body);
  });

  fastify.addHook('onClose', async () => {
    await Promise.all([base.close(), ...routeGates.map((g) => g.close())]);
  });
  done();
};

/**
 * The ipgate Fastify plugin (wrapped with `fastify-plugin`, so it guards every route of the
 * instance it is registered on, including routes of plugins registered after it). The client is
 * the socket peer by default; Fastify's `trustProxy` is not consulted.
 *
 * @example
 * import Fastify from 'fastify';
 * import { ipGate } from '@ipgate/fastify';
 *
 * const app = Fastify();
 * await app.register(ipGate, { allow: ['203.0.113.0/24'] });
 * app.get('/healthz', { config: { ipGate: false } }, async () => 'ok');
 * app.get('/', async () => ({ hello: 'world' }));
 */
export const ipGate = fp(plugin, { fastify: '5.x', name: '@ipgate/fastify' });

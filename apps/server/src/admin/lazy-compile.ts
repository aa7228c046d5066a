/**
 * Request validators and response serializers compiled on a route's first use, not at start.
 *
 * Fastify compiles every route's validators (TypeBox) and response serializers (fast-json-stringify)
 * while the app becomes ready. The management API has well over a hundred routes and most see no
 * request in a given process's life, yet that compiling was the largest part of `ipgate serve`'s own
 * start-up work after loading modules: on a loaded 2-core machine, 0.80 s in serializers and 0.21 s
 * in validators of ~6.6 s of the main thread's CPU before the banner. Compiling each on first use
 * costs the first request of a route that time once (a few milliseconds), and nothing on routes
 * never called. The compiled functions are the same ones Fastify would have made.
 *
 * What is lost is that a schema fastify cannot compile no longer stops the start; `compileAll`
 * compiles every pending one, so that a test (admin/lazy-compile.test.ts) still finds such a schema.
 */
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { FastifySchemaCompiler } from 'fastify';

/** Compiles what has not been compiled yet; throws the first compile error, naming the route. */
type Pending = () => void;

/** The compilers to give Fastify, and `compileAll` for tests. */
export interface LazyCompilers {
  /** For `setValidatorCompiler`. */
  readonly validatorCompiler: FastifySchemaCompiler<never>;
  /** For `Fastify({ schemaController: { compilersFactory: { buildSerializer } } })`. */
  readonly buildSerializer: SerializerSelector.SerializerFactory;
  /** Compiles every validator and serializer not compiled yet; throws on the first that fails. */
  compileAll(): void;
}

/**
 * Compilers for one Fastify instance that defer each compile to its first use.
 *
 * @example
 * const lazy = lazyCompilers();
 * const app = Fastify({ schemaController: { compilersFactory: { buildSerializer: lazy.buildSerializer } } })
 *   .setValidatorCompiler(lazy.validatorCompiler);
 */
export function lazyCompilers(): LazyCompilers {
  const pending = new Set<Pending>();

  /** `compile()` once, on the first call of the returned function or by `compileAll`. */
  function deferred<F extends (...args: never[]) => unknown>(compile: () => F, where: string): F {
    let compiled: F | undefined;
    const ensure = (): F => {
      if (compiled === undefined) {
        try {
          compiled = compile();
        } catch (error) {
          throw new Error(`cannot compile the schema of ${where}: ${(error as Error).message}`, {
            cause: error,
          });
        }
        pending.delete(ensure);
      }
      return compiled;
    };
    pending.add(ensure);
    return ((...args: Parameters<F>) => ensure()(...args)) as F;
  }

  const eagerSerializers = SerializerSelector();
  return {
    validatorCompiler: (route) => {
      const validate = deferred(
        () => TypeBoxValidatorCompiler(route as never),
        `${route.method} ${route.url} (${route.httpPart})`,
      ) as (value: unknown) => unknown;
      // Fastify reads an Ajv-style `false` with the errors on the function's `.errors`, which this
      // wrapper does not carry: a `false` would pass the request. TypeBox answers `{ value }` or
      // `{ error }`; anything else is refused here, so a compiler swapped in later fails closed.
      return (value: unknown) => {
        const result = validate(value);
        return typeof result === 'object' && result !== null
          ? result
          : {
              error: new Error(
                `the ${route.httpPart} of ${route.method} ${route.url} could not be validated`,
              ),
            };
      };
    },
    buildSerializer: (externalSchemas, serializerOpts) => {
      const compile = eagerSerializers(externalSchemas, serializerOpts);
      return (route) => deferred(() => compile(route), `${route.method} ${route.url} (${route.httpStatus})`);
    },
    compileAll: () => {
      for (const ensure of [...pending]) ensure();
    },
  };
}

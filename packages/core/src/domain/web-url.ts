/**
 * The WHATWG `URL` class, typed for the parts core uses.
 *
 * `URL` is a global in every runtime core targets (Node, Deno, Bun, browsers, edge workers), but
 * TypeScript types it only in lib.dom or @types/node, and core depends on neither. An ambient declaration
 * would clash with @types/node wherever both are loaded, so core takes it from `globalThis` instead.
 */
export interface WebUrl {
  readonly protocol: string;
  readonly hostname: string;
  readonly host: string;
  readonly port: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
  readonly username: string;
  readonly password: string;
  readonly href: string;
}

/** @example new WebURL('https://xn--bcher-kva.example/').hostname; // 'xn--bcher-kva.example' */
export const WebURL = (globalThis as unknown as { URL: new (input: string, base?: string) => WebUrl }).URL;

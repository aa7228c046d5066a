/**
 * A small router over the History API: the console's pages are paths under /console/, and the server
 * answers index.html for each of them, so a reload or a shared link opens the same page.
 */
import { Anchor, type AnchorProps } from '@mantine/core';
import { type ReactNode, useEffect, useState } from 'react';

const BASE = '/console';

/** The path below /console ('/' for the start page). */
export function currentPath(): string {
  const p = window.location.pathname;
  return p.startsWith(BASE) ? p.slice(BASE.length) || '/' : '/';
}

/** Goes to a console path without reloading. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = BASE + to;
  if (options.replace === true) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** The current path, re-rendering on navigation. */
export function usePath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const update = () => setPath(currentPath());
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return path;
}

/** A link to a console path: a real anchor (keyboard, middle-click), navigated in place. */
export function Link(props: AnchorProps & { to: string; children: ReactNode; 'aria-current'?: 'page' }) {
  const { to, onClick, ...rest } = props as typeof props & { onClick?: (e: React.MouseEvent) => void };
  return (
    <Anchor
      {...rest}
      href={BASE + to}
      // A component that renders the link (Mantine's NavLink) passes its own onClick: both run, or
      // the link would load the whole console again and drop the keyboard's focus on the page's body.
      onClick={(e: React.MouseEvent) => {
        onClick?.(e);
        if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(to);
      }}
    />
  );
}

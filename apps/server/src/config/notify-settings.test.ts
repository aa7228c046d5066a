import { describe, expect, it } from 'vitest';
import { configError } from './config-error.test-support.js';
import { loadSettings } from './load-settings.js';

describe('notification settings', () => {
  it('default to the outbox, the admin listener as public URL, 72 h links, the SSRF guard on', () => {
    const s = loadSettings({});
    expect(s.smtpUrl).toBeUndefined();
    expect(s.publicUrl).toBeUndefined();
    expect(s.reviewLinkTtlMs).toBe(72 * 3600 * 1000);
    expect(s.webhookAllowPrivate).toBe(false);
    expect(s.reviewRequireSignIn).toBe(false);
    expect(s.notifyDigestThreshold).toBe(10);
  });

  it('accept smtp:// and smtps:// URLs and a public URL', () => {
    const s = loadSettings({
      flags: { smtpUrl: 'smtps://user:pw@mail.example.com:465', publicUrl: 'https://ipgate.example.com/' },
    });
    expect(s.smtpUrl).toBe('smtps://user:pw@mail.example.com:465');
    expect(s.publicUrl).toBe('https://ipgate.example.com');
  });

  it.each([
    ['http://mail.example.com', /smtp:\/\/ or smtps:\/\//],
    ['mail.example.com:25', /smtp/],
    ['not a url', /URL/],
  ])('refuse the SMTP URL %j, naming the setting', (value, why) => {
    const flag = configError(() => loadSettings({ flags: { smtpUrl: value } }));
    expect(flag.message).toContain('--smtp-url');
    expect(flag.message).toMatch(why);
    const env = configError(() => loadSettings({ env: { IPGATE_SMTP_URL: value } }));
    expect(env.message).toContain('IPGATE_SMTP_URL');
  });

  it('refuse a public URL with a query or another scheme, and a sender without an address', () => {
    expect(
      configError(() => loadSettings({ flags: { publicUrl: 'https://x.example/?a=1' } })).message,
    ).toContain('--public-url');
    expect(configError(() => loadSettings({ flags: { publicUrl: 'ftp://x.example' } })).message).toContain(
      '--public-url',
    );
    expect(configError(() => loadSettings({ flags: { smtpFrom: 'ipgate' } })).message).toContain(
      '--smtp-from',
    );
  });
});

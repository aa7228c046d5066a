import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { terminalText } from './terminal-text.js';

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('terminalText', () => {
  it('leaves ordinary text, accents and wide characters alone', () => {
    expect(terminalText('Zürich office — 東京')).toBe('Zürich office — 東京');
    expect(terminalText(null)).toBe('');
    expect(terminalText(42)).toBe('42');
  });

  it('escapes escape sequences, newlines, tabs, C1 controls and bidi overrides', () => {
    expect(terminalText('a\u001b[2Jb')).toBe('a\\u001b[2Jb');
    expect(terminalText('line\nnext\ttab')).toBe('line\\u000anext\\u0009tab');
    expect(terminalText('\u009b31m')).toBe('\\u009b31m');
    expect(terminalText('abc\u202edcba')).toBe('abc\\u202edcba');
  });

  it('never lets an unsafe character through, and changes nothing else (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const out = terminalText(text);
        expect(out).not.toMatch(UNSAFE);
        // Undoing the escapes gives the input back: nothing is lost or merged.
        expect(
          out.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
        ).toBe(
          text.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) =>
            String.fromCharCode(Number.parseInt(hex, 16)),
          ),
        );
      }),
    );
  });
});

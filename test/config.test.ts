import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { ConfigError } from '../src/lib/errors.ts';

describe('config', () => {
  it('has working defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.CONTIGUITY_BASE_URL).toBe('https://api.contiguity.com');
    expect(c.PORT).toBe(3000);
    expect(c.LOG_LEVEL).toBe('info');
    expect(c.BLUECAST_DATA_DIR).toBe('.bluecast');
  });

  it('TRUST_PROXY: true/false or proxy addresses; anything else names the variable', () => {
    expect(loadConfig({}).TRUST_PROXY).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1' }).TRUST_PROXY).toEqual(['10.0.0.1', '192.168.0.0/16', '::1']);
    expect(() => loadConfig({ TRUST_PROXY: 'yes please' })).toThrow(/TRUST_PROXY: /);
  });

  it('BLUECAST_FREQUENCY_CAPS: N/<h|d>, marketing by default, "all:" for every message; bad parts named', () => {
    expect(loadConfig({}).BLUECAST_FREQUENCY_CAPS).toBeUndefined();
    expect(loadConfig({ BLUECAST_FREQUENCY_CAPS: '4/7d,all:2/36h' }).BLUECAST_FREQUENCY_CAPS).toEqual([
      { id: 'env.4-per-168h', max: 4, windowHours: 168, appliesTo: 'marketing' },
      { id: 'env.all.2-per-36h', max: 2, windowHours: 36, appliesTo: 'all' },
    ]);
    for (const bad of ['0/7d', '4/0d', '4 per week', '4/400d']) {
      expect(() => loadConfig({ BLUECAST_FREQUENCY_CAPS: bad })).toThrow(/BLUECAST_FREQUENCY_CAPS: .* is not a cap/);
    }
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).PORT).toBe(3000);
  });

  it('parses secrets for rotation and trims the base URL', () => {
    const c = loadConfig({ WEBHOOK_SECRET: 'whsec_aaaaaaaa, whsec_bbbbbbbb', CONTIGUITY_BASE_URL: 'http://127.0.0.1:9000/' });
    expect(c.WEBHOOK_SECRET).toEqual(['whsec_aaaaaaaa', 'whsec_bbbbbbbb']);
    expect(c.CONTIGUITY_BASE_URL).toBe('http://127.0.0.1:9000');
  });

  it('reads consent keyword lists', () => {
    const c = loadConfig({ CONSENT_OPT_OUT_KEYWORDS: 'BAJA, ALTO ,PARAR', CONSENT_OPT_IN_KEYWORDS: 'START,COMENZAR', CONSENT_CONFIRMATION_TEXT: ' Bye. ' });
    expect(c.CONSENT_OPT_OUT_KEYWORDS).toEqual(['BAJA', 'ALTO', 'PARAR']);
    expect(c.CONSENT_OPT_IN_KEYWORDS).toEqual(['START', 'COMENZAR']);
    expect(c.CONSENT_CONFIRMATION_TEXT).toBe('Bye.');
  });

  it.each([
    ['DATABASE_URL', 'not a url', /DATABASE_URL: must be a postgres/],
    ['CONTIGUITY_API_KEY', 'sk_live_123', /CONTIGUITY_API_KEY: must look like contiguity_sk_/],
    ['CONTIGUITY_BASE_URL', 'ftp://x', /CONTIGUITY_BASE_URL: must be an http/],
    ['PORT', '80a', /PORT: must be a port number/],
    ['PORT', '70000', /PORT: must be a port number/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL:/],
    ['BLUECAST_API_TOKEN', 'short', /BLUECAST_API_TOKEN: must be at least 16 characters/],
    ['WEBHOOK_SECRET', 'x', /WEBHOOK_SECRET: each secret must be at least 8 characters/],
    ['REQUEST_TIMEOUT_MS', '5', /REQUEST_TIMEOUT_MS: must be at least 100/],
    ['CONSENT_OPT_OUT_KEYWORDS', 'BAJA, 🛑', /CONSENT_OPT_OUT_KEYWORDS: each keyword needs letters or digits/],
    ['CONSENT_OPT_IN_KEYWORDS', ' , ', /CONSENT_OPT_IN_KEYWORDS: must name at least one keyword/],
    ['BLUECAST_AVAILABILITY_MAX_AGE_HOURS', '0', /BLUECAST_AVAILABILITY_MAX_AGE_HOURS: must be more than 0/],
    ['BLUECAST_AVAILABILITY_MAX_AGE_HOURS', 'a week', /BLUECAST_AVAILABILITY_MAX_AGE_HOURS: must be a number of hours/],
    ['BLUECAST_AVAILABILITY_RATE', '100', /BLUECAST_AVAILABILITY_RATE: must be at most 50/],
  ])('rejects %s=%s with a message naming it', (key, value, message) => {
    let err: unknown;
    try {
      loadConfig({ [key]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
  });
});

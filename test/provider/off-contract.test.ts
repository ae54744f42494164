import { describe, expect, it } from 'vitest';
import { offContract } from './openapi.ts';

// The contract check the inbox tests rely on must itself refuse what the contract does not document.
describe('offContract', () => {
  const ok = { body: null, status: 200 };
  it('accepts documented GET paths, filling their templates', () => {
    expect(offContract({ ...ok, method: 'GET', path: '/conversations/availability/imessage/+14155550100' })).toEqual([]);
    expect(offContract({ ...ok, method: 'GET', path: '/conversations/history/imessage/+14155550100/+14155550101/20' })).toEqual([]);
  });
  it('refuses GET paths the contract does not document, a wrong method, and what the provider refused', () => {
    expect(offContract({ ...ok, method: 'GET', path: '/conversations/availability/imessag/+14155550100' })).toEqual([expect.stringMatching(/not a documented operation/)]);
    expect(offContract({ ...ok, method: 'GET', path: '/conversations/history/imessage/+14155550100/+14155550101' })).toEqual([expect.stringMatching(/not a documented operation/)]);
    expect(offContract({ ...ok, method: 'DELETE', path: '/conversations/history/message/abc' })).toEqual([expect.stringMatching(/not a documented operation/)]);
    expect(offContract({ ...ok, method: 'GET', path: '/elsewhere' })).toEqual([expect.stringMatching(/not a documented path/)]);
    expect(offContract({ method: 'GET', path: '/conversations/history/message/abc', body: null, status: 404 })).toEqual([expect.stringMatching(/answered 404/)]);
    expect(offContract({ method: 'POST', path: '/send/imessage/typing', body: { to: '+14155550100', action: 'dance' }, status: 200 })).not.toEqual([]);
  });
});

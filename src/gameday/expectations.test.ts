import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  deliveryAllowanceSeconds,
  maxSecondsToDetect,
  maxSecondsToResolve,
  type AlertTiming,
} from './expectations.js';

const gaugeAlert: AlertTiming = {
  scrapeInterval: 1,
  evaluationInterval: 1,
  forDuration: 3,
  keepFiringFor: 0,
  groupWait: 1,
  groupInterval: 2,
};

test('gauge alert detection bound', () => {
  assert.equal(maxSecondsToDetect(gaugeAlert), 1 + 2 + 3 + 1 + deliveryAllowanceSeconds);
});

test('gauge alert resolution bound', () => {
  assert.equal(maxSecondsToResolve(gaugeAlert), 1 + 1 + 2 + deliveryAllowanceSeconds);
});

test('ratio alert bounds include the window', () => {
  // 30% failures over a 60 s window pass 5% after 10 s and fall under it 50 s after recovery.
  const ratioAlert = { ...gaugeAlert, ratio: { window: 60, threshold: 0.05, faultShare: 0.3 } };
  const detectDelay = maxSecondsToDetect(ratioAlert) - maxSecondsToDetect(gaugeAlert);
  const resolveDelay = maxSecondsToResolve(ratioAlert) - maxSecondsToResolve(gaugeAlert);
  assert.ok(Math.abs(detectDelay - 10) < 1e-9, `detection delay ${detectDelay}`);
  assert.ok(Math.abs(resolveDelay - 50) < 1e-9, `resolution delay ${resolveDelay}`);
});

test('keep_firing_for delays resolution only', () => {
  const withKeepFiring = { ...gaugeAlert, keepFiringFor: 5 };
  assert.equal(maxSecondsToDetect(withKeepFiring), maxSecondsToDetect(gaugeAlert));
  assert.equal(maxSecondsToResolve(withKeepFiring), maxSecondsToResolve(gaugeAlert) + 5);
});

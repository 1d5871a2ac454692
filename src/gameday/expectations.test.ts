import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  deliveryAllowanceSeconds,
  maxSecondsToDetect,
  maxSecondsToDetectBurn,
  maxSecondsToFire,
  maxSecondsToResolve,
  maxSecondsToResolveBurn,
  maxSecondsToStopFiring,
  quantileCondition,
  timeForConditionToEnd,
  timeForConditionToHold,
  timeForShareToFall,
  timeForShareToRise,
  type AlertTiming,
  type BurnAlertTiming,
} from './expectations.js';

const gaugeAlert: AlertTiming = {
  scrapeInterval: 1,
  evaluationInterval: 1,
  forDuration: 3,
  keepFiringFor: 0,
  groupWait: 1,
  groupInterval: 2,
};

/** A fast-burn tier scaled twenty times: 3m and 15s windows at 14.4 × 0.1%. */
const burnAlert: BurnAlertTiming = {
  ...gaugeAlert,
  forDuration: 0,
  burn: {
    threshold: 0.0144,
    longWindow: 180,
    shortWindow: 15,
    longWindowInterval: 3,
    minRequests: 180,
    requestsPerSecond: 50,
    faultShare: 0.035,
    uncounted: 0,
  },
};

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, expected ${expected}`);
}

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
  assertClose(detectDelay, 10, 'detection delay');
  assertClose(resolveDelay, 50, 'resolution delay');
});

test('confirmation window shortens resolution', () => {
  // 30% failures: the 60 s window passes 5% after 10 s and the 30 s one
  // after 5 s, so the alert fires with the later, 60 s window. After the
  // fix the 30 s window falls under 5% after 25 s, 25 s before the 60 s one.
  const ratio = { window: 60, threshold: 0.05, faultShare: 0.3 };
  const single = { ...gaugeAlert, ratio };
  const confirmed = { ...single, confirmationWindow: 30 };
  assertClose(maxSecondsToDetect(confirmed), maxSecondsToDetect(single), 'detection bound');
  const resolveDelay = maxSecondsToResolve(confirmed) - maxSecondsToResolve(gaugeAlert);
  assertClose(resolveDelay, 25, 'resolution delay');
  const stopDelay = maxSecondsToStopFiring(confirmed) - maxSecondsToStopFiring(gaugeAlert);
  assertClose(stopDelay, 25, 'delay until it stops firing');
});

test('condition holds after both windows rise', () => {
  const condition = { window: 30, threshold: 0.05, faultShare: 0.3 };
  assertClose(timeForConditionToHold(condition), 5, 'one window');
  assertClose(timeForConditionToHold(condition, 15), 5, 'confirmation window shorter');
  assertClose(timeForConditionToHold(condition, 60), 10, 'confirmation window longer');
});

test('condition ends with the first window to fall', () => {
  // From 30% down to 3.5%, as in the mitigation: each window falls under
  // 5% at W·(1 − 1.5/26.5).
  const condition = { window: 30, threshold: 0.05, faultShare: 0.3, remainingShare: 0.035 };
  const fraction = 1 - 0.015 / 0.265;
  assertClose(timeForConditionToEnd(condition), 30 * fraction, 'one window');
  assertClose(timeForConditionToEnd(condition, 15), 15 * fraction, 'confirmation window');
  const stuck = { ...condition, remainingShare: 0.06 };
  assert.equal(timeForConditionToEnd(stuck, 15), Number.POSITIVE_INFINITY);
});

test('random fault bound on confirmation window', () => {
  // At 50 requests a second the 15 s window at the 5% threshold contains 37.5
  // failed requests, which may exceed it by 3·√37.5 and leave at 26.5%·50 a second.
  const condition = {
    window: 30, threshold: 0.05, faultShare: 0.3, remainingShare: 0.035,
    random: { requestsPerSecond: 50, uncounted: 0 },
  };
  const expected = 15 * (1 - 0.015 / 0.265) + (3 * Math.sqrt(37.5)) / (0.265 * 50);
  assertClose(timeForConditionToEnd(condition, 15), expected, 'time to end');
});

test('keep_firing_for delays resolution only', () => {
  const withKeepFiring = { ...gaugeAlert, keepFiringFor: 5 };
  assert.equal(maxSecondsToDetect(withKeepFiring), maxSecondsToDetect(gaugeAlert));
  assert.equal(maxSecondsToResolve(withKeepFiring), maxSecondsToResolve(gaugeAlert) + 5);
});

test('Alertmanager bounds leave out group timings', () => {
  const slowGroups = { ...gaugeAlert, groupWait: 30, groupInterval: 300 };
  assert.equal(maxSecondsToFire(slowGroups), maxSecondsToFire(gaugeAlert));
  assert.equal(maxSecondsToDetect(slowGroups), maxSecondsToFire(slowGroups) + 30);
  assert.equal(maxSecondsToStopFiring(slowGroups), maxSecondsToStopFiring(gaugeAlert));
  assert.equal(maxSecondsToResolve(slowGroups), maxSecondsToStopFiring(slowGroups) + 300);
});

test('short traffic history speeds up the rise', () => {
  // 10 s of clean traffic then 3.5% failures: the 3-minute window passes
  // 1.44% once 0.035·t ≥ 0.0144·(10 + t), at t = 0.144 / 0.0206.
  const full = { window: 180, threshold: 0.0144, faultShare: 0.035 };
  assertClose(timeForShareToRise(full), 180 * 0.0144 / 0.035, 'full window');
  assertClose(timeForShareToRise({ ...full, history: 10 }), 0.144 / 0.0206, 'history 10 s');
  assertClose(timeForShareToRise({ ...full, history: 1e6 }), 180 * 0.0144 / 0.035, 'long history');
});

test('share at the threshold never rises', () => {
  const condition = { window: 30, threshold: 0.05, faultShare: 0.05 };
  assert.equal(timeForShareToRise(condition), Number.POSITIVE_INFINITY);
  assert.equal(maxSecondsToDetect({ ...gaugeAlert, ratio: condition }), Number.POSITIVE_INFINITY);
});

test('mitigation falls to the remaining share', () => {
  // From 30% down to 3.5%: the 30 s window contains 3.5% + 26.5%·(30 − t)/30,
  // which falls under 5% at t = 30·(1 − 1.5/26.5).
  const condition = { window: 30, threshold: 0.05, faultShare: 0.3, remainingShare: 0.035 };
  assertClose(timeForShareToFall(condition), 30 * (1 - 0.015 / 0.265), 'time to fall');
});

test('remaining share above threshold never falls', () => {
  const condition = { window: 30, threshold: 0.05, faultShare: 0.3, remainingShare: 0.06 };
  assert.equal(timeForShareToFall(condition), Number.POSITIVE_INFINITY);
});

test('p95 condition is a 5% slow share', () => {
  const condition = quantileCondition({ window: 30, quantile: 0.95, slowShare: 1 });
  assert.equal(condition.threshold, 0.05);
  assertClose(timeForShareToRise(condition), 1.5, 'rise');
  assertClose(timeForShareToFall(condition), 28.5, 'fall');
});

test('observation delay adds to both bounds', () => {
  const ratio = quantileCondition({ window: 30, quantile: 0.95, slowShare: 1 });
  const quick = { ...gaugeAlert, ratio };
  const slow = { ...quick, observationDelay: 0.75 };
  assertClose(maxSecondsToDetect(slow) - maxSecondsToDetect(quick), 0.75, 'detection');
  assertClose(maxSecondsToResolve(slow) - maxSecondsToResolve(quick), 0.75, 'resolution');
});

test('random fault allows for a shortfall', () => {
  // 50% of 10 requests a second reach 10% of a full 100 s window after 20 s.
  // By then 100 failures are expected; 3·√100 = 30 of them and 2 uncounted
  // ones may be missing, which take (50% − 10%)·10 = 4 a second to make up.
  const condition = { window: 100, threshold: 0.1, faultShare: 0.5 };
  const random = { requestsPerSecond: 10, uncounted: 2 };
  assertClose(timeForShareToRise(condition), 20, 'without noise');
  assertClose(timeForShareToRise({ ...condition, random }), 20 + 32 / 4, 'with noise');
});

test('random fault allows for an excess', () => {
  // The share falls under 10% after 80 s. The threshold's count is 100
  // failures, 3·√100 = 30 more may remain, and they leave at 50%·10 a second.
  const condition = { window: 100, threshold: 0.1, faultShare: 0.5 };
  const random = { requestsPerSecond: 10, uncounted: 2 };
  assertClose(timeForShareToFall(condition), 80, 'without noise');
  assertClose(timeForShareToFall({ ...condition, random }), 80 + 30 / 5, 'with noise');
});

const random = { requestsPerSecond: 50, uncounted: 0 };
const burnFixed = 1 + 2 + 1 + deliveryAllowanceSeconds;

test('burn alert waits for the long window', () => {
  // With a full clean history the 3-minute window crosses last, then waits
  // up to one evaluation of its recording rules.
  const long = timeForShareToRise({ window: 180, threshold: 0.0144, faultShare: 0.035, random });
  const short = timeForShareToRise({ window: 15, threshold: 0.0144, faultShare: 0.035, random });
  assert.ok(long > short + 3, `long window ${long} s, short window ${short} s`);
  assertClose(maxSecondsToDetectBurn(burnAlert), burnFixed + long + 3, 'detection');
});

test('burn alert without history fires at once', () => {
  // With no clean traffic before the fault both windows hold 3.5% from the
  // first scrape, so only the noise and the recording interval remain.
  const fresh = { ...burnAlert, burn: { ...burnAlert.burn, history: 0, minRequests: 0 } };
  const noise = timeForShareToRise({
    window: 180, threshold: 0.0144, faultShare: 0.035, history: 0, random,
  });
  assertClose(noise, 0, 'no failures expected, no shortfall');
  assertClose(maxSecondsToDetectBurn(fresh), burnFixed + 3, 'detection');
});

test('burn alert waits for the minimum requests', () => {
  // 180 requests at 50 a second need 3.6 s of traffic; 1 s of history leaves 2.6 s.
  const gated = {
    ...burnAlert,
    burn: { ...burnAlert.burn, history: 1, faultShare: 1, shortWindow: 4 },
  };
  const long = timeForShareToRise({
    window: 180, threshold: 0.0144, faultShare: 1, history: 1, random,
  });
  assert.ok(long < 2.6, `long window ${long} s`);
  assertClose(maxSecondsToDetectBurn(gated), burnFixed + 2.6 + 3, 'detection');
});

test('burn alert below the minimum rate never fires', () => {
  const quiet = { ...burnAlert, burn: { ...burnAlert.burn, requestsPerSecond: 0.5 } };
  assert.equal(maxSecondsToDetectBurn(quiet), Number.POSITIVE_INFINITY);
});

test('burn alert below the threshold never fires', () => {
  const mild = { ...burnAlert, burn: { ...burnAlert.burn, faultShare: 0.01 } };
  assert.equal(maxSecondsToDetectBurn(mild), Number.POSITIVE_INFINITY);
});

test('burn alert resolves with its first window', () => {
  // The 15 s window falls under 1.44% long before the 3-minute window does.
  const short = timeForShareToFall({ window: 15, threshold: 0.0144, faultShare: 0.035, random });
  const long = timeForShareToFall({ window: 180, threshold: 0.0144, faultShare: 0.035, random });
  assert.ok(short < long, `short window ${short} s, long window ${long} s`);
  const fixed = 1 + 1 + 2 + deliveryAllowanceSeconds;
  assertClose(maxSecondsToResolveBurn(burnAlert), fixed + short, 'resolution');
});

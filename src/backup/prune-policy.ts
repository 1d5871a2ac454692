import { SrekitError } from '../common/errors.js';
import type { Manifest } from './manifest.js';

/** A retention policy, as in restic's `forget`: counts per rule and a time span. */
export interface RetentionPolicy {
  last: number;
  hourly: number;
  daily: number;
  weekly: number;
  monthly: number;
  /** Keeps every backup made this many seconds or less before the newest one. */
  withinSeconds: number;
}

/** The decision for one backup, with every rule that keeps it. */
export interface RetentionDecision {
  manifest: Manifest;
  /** Empty when the backup is to be removed. */
  reasons: string[];
}

type BucketRule = 'hourly' | 'daily' | 'weekly' | 'monthly';

const bucketOf: Record<BucketRule, (time: Date) => string> = {
  hourly: (time) => time.toISOString().slice(0, 13),
  daily: (time) => time.toISOString().slice(0, 10),
  weekly: isoWeek,
  monthly: (time) => time.toISOString().slice(0, 7),
};

/**
 * Applies `policy` to the backups of one class. Each bucket rule keeps the
 * newest backup of each of its N newest hours, days, ISO weeks or months
 * (UTC), as restic does. `protectedId` names a backup that is kept whatever
 * the rules decide: the newest verified one. Returns decisions newest first.
 */
export function applyRetention(
  manifests: Manifest[], policy: RetentionPolicy, protectedId?: string,
): RetentionDecision[] {
  const newestFirst = [...manifests].sort((a, b) => b.time.localeCompare(a.time)
    || b.id.localeCompare(a.id));
  const newestTime = Date.parse(newestFirst[0]?.time ?? '');
  const decisions = newestFirst.map((manifest) => ({ manifest, reasons: [] as string[] }));

  decisions.forEach((decision, index) => {
    if (index < policy.last) decision.reasons.push('last');
    const age = (newestTime - Date.parse(decision.manifest.time)) / 1000;
    if (policy.withinSeconds > 0 && age <= policy.withinSeconds) decision.reasons.push('within');
  });
  for (const rule of ['hourly', 'daily', 'weekly', 'monthly'] as const) {
    const seen = new Set<string>();
    for (const decision of decisions) {
      const bucket = bucketOf[rule](new Date(decision.manifest.time));
      if (seen.has(bucket)) continue;
      if (seen.size >= policy[rule]) break;
      seen.add(bucket);
      decision.reasons.push(rule);
    }
  }
  for (const decision of decisions) {
    if (decision.manifest.id === protectedId) decision.reasons.push('newest verified');
  }
  return decisions;
}

/** Returns the ISO 8601 week of `time` in UTC, such as `2026-W49`. */
function isoWeek(time: Date): string {
  const thursday = new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(),
    time.getUTCDate()));
  // An ISO week belongs to the year of its Thursday, and weeks start on Monday.
  thursday.setUTCDate(thursday.getUTCDate() + 3 - ((thursday.getUTCDay() + 6) % 7));
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((thursday.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

const durationUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * Parses a duration such as `36h`, `7d` or `1w2d12h` into seconds. The
 * units are s, m (minutes), h, d and w; restic's y and m (months) are not
 * accepted, because m means minutes here.
 */
export function parseSpan(option: string, value: string): number {
  const parts = [...value.matchAll(/(\d+)([smhdw])/g)];
  if (!/^(\d+[smhdw])+$/.test(value) || parts.length === 0) {
    throw new SrekitError('USAGE', `${option} ${value} is not a duration`, {
      hint: 'use a number and a unit s, m, h, d or w, such as 36h or 1w2d',
    });
  }
  return parts.reduce((sum, part) => sum + Number(part[1]) * (durationUnits[part[2] ?? ''] ?? 0),
    0);
}

/** Parses a `--keep-*` count: a whole number from 0. */
export function parseKeepCount(option: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) {
    throw new SrekitError('USAGE', `${option} ${value} is not a whole number of backups`);
  }
  return Number(value);
}

/** Returns true when the policy keeps nothing by any rule, which prune rejects. */
export function isEmptyPolicy(policy: RetentionPolicy): boolean {
  return policy.last + policy.hourly + policy.daily + policy.weekly + policy.monthly === 0
    && policy.withinSeconds === 0;
}

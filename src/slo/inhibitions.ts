import { burnAlertName } from './slo-rules.js';
import type { AlertmanagerInhibitRule } from './routing.js';

/** One inhibit rule, with the reason for it written above it in the file. */
export interface InhibitRuleSpec {
  /** The reason the source alerts make the target alerts redundant. */
  comment: string;
  /** Matchers that select the alerts that silence others. */
  sourceMatchers: readonly string[];
  /** Matchers that select the alerts that are silenced. */
  targetMatchers: readonly string[];
  /**
   * Labels on which a source and a target must agree. Every alert that either
   * side selects must carry each of them: `checkInhibitions` enforces it.
   */
  equal: readonly string[];
}

/**
 * The inhibit rules that keep one failure from sending a storm of
 * notifications. Each names only labels that its alerts carry.
 */
export const inhibitRules: readonly InhibitRuleSpec[] = [
  {
    comment: 'A target that cannot be scraped explains every other alert about the same '
      + 'instance. Only alerts with an instance label are targets: alerts computed per job '
      + 'or per SLO carry none, so they stay when one instance of several is down.',
    sourceMatchers: ['alertname="InstanceDown"'],
    targetMatchers: ['alertname!="InstanceDown"', 'instance=~".+"'],
    equal: ['job', 'instance'],
  },
  {
    comment: 'A page about a service already has someone\'s attention, so a warning about the '
      + 'same service, such as slow requests while it returns errors, adds nothing. Host '
      + 'alerts carry no service label and take no part: a disk that fills does not explain '
      + 'a busy CPU.',
    sourceMatchers: ['severity="page"', 'service=~".+"'],
    targetMatchers: ['severity="warn"', 'service=~".+"'],
    equal: ['service'],
  },
  {
    comment: 'A burn fast enough to page is already being handled, so the ticket of a slower '
      + 'tier of the same SLO, which the same burn usually reaches later, adds nothing.',
    sourceMatchers: [`alertname="${burnAlertName}"`, 'severity="page"'],
    targetMatchers: [`alertname="${burnAlertName}"`, 'severity="ticket"'],
    equal: ['service', 'slo'],
  },
  {
    comment: 'The paging SLO burn and HighErrorRatio both page for the failing requests of one '
      + 'service. The burn says how fast the error budget goes, so the 5xx ratio page of the '
      + 'same service stays silent while it fires, and the responder gets one page.',
    sourceMatchers: [`alertname="${burnAlertName}"`, 'severity="page"'],
    targetMatchers: ['alertname="HighErrorRatio"'],
    equal: ['service'],
  },
];

/** Returns the rules in alertmanager.yml's form. */
export function renderInhibitRules(
  rules: readonly InhibitRuleSpec[] = inhibitRules,
): AlertmanagerInhibitRule[] {
  return rules.map((rule) => ({
    source_matchers: [...rule.sourceMatchers],
    target_matchers: [...rule.targetMatchers],
    equal: [...rule.equal],
  }));
}

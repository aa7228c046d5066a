/**
 * What a change that removes or narrows entries would have done to recent traffic, asked of the server
 * with `dryRun` (nothing written) while the person decides: "would have denied N requests from M
 * addresses in the last 24 hours", and the addresses that would have lost the most.
 */
import { Alert, Loader, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';

/** The part of the server's impact answer the sentence uses. */
export interface ChangeImpact {
  readonly allowedToDenied: {
    readonly requests: number;
    readonly addresses: number;
    readonly topAddresses: readonly { readonly address: string; readonly requests?: number }[];
  };
  readonly requests: { readonly decided: number };
}

/** How many of the most affected addresses the sentence names. */
const SHOWN_ADDRESSES = 5;

/** True when the change would have denied none of the requests the rules in force allowed. */
export function deniesNone(impact: ChangeImpact): boolean {
  return impact.allowedToDenied.requests === 0;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The sentence, and the addresses that would have been denied, most requests first. */
export function impactSentence(impact: ChangeImpact): string {
  const lost = impact.allowedToDenied;
  if (lost.requests === 0) {
    return `This change would have denied none of the allowed requests of the last 24 hours (${impact.requests.decided} decided again).`;
  }
  const shown = lost.topAddresses
    .slice(0, SHOWN_ADDRESSES)
    .map((a) => (a.requests === undefined ? a.address : `${a.address}: ${a.requests}`));
  const more = lost.addresses - shown.length;
  const list = `${shown.join(', ')}${more > 0 ? ` and ${plural(more, 'other', 'others')}` : ''}`;
  return `This change would have denied ${plural(lost.requests, 'request', 'requests')} from ${plural(lost.addresses, 'address', 'addresses')} in the last 24 hours (${list}).`;
}

/** The impact as an alert: orange when requests would have been denied. */
export function ImpactAlert(props: { impact: ChangeImpact }) {
  return (
    <Alert color={deniesNone(props.impact) ? 'blue' : 'orange'} p="xs" data-testid="change-impact">
      {impactSentence(props.impact)}
    </Alert>
  );
}

/** Asks the server for the impact when shown, and says it once answered. */
export function ChangeImpactNote(props: { queryKey: readonly unknown[]; load: () => Promise<ChangeImpact> }) {
  const impact = useQuery({
    queryKey: ['impact', ...props.queryKey],
    queryFn: props.load,
    staleTime: 0,
    retry: false,
  });
  if (impact.isPending)
    return (
      <Text size="sm" c="dimmed">
        <Loader size="xs" aria-label="Reading the impact" /> Replaying the last 24 hours of traffic…
      </Text>
    );
  if (impact.error !== null)
    return (
      <Text size="sm" c="dimmed">
        The impact could not be read: {impact.error.message}
      </Text>
    );
  return <ImpactAlert impact={impact.data} />;
}

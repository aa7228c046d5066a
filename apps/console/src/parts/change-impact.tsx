/**
 * What a change that removes or narrows entries would have done to recent traffic, asked of the server
 * with `dryRun` (nothing written) while the person decides: "would have denied N requests from M
 * addresses in the last 24 hours".
 */
import { Alert, Loader, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';

/** The part of the server's impact answer the sentence uses. */
export interface ChangeImpact {
  readonly allowedToDenied: {
    readonly requests: number;
    readonly addresses: number;
    readonly topAddresses: readonly { readonly address: string }[];
  };
  readonly requests: { readonly decided: number };
}

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
  const lost = impact.data.allowedToDenied;
  return (
    <Alert color={lost.requests > 0 ? 'orange' : 'blue'} p="xs" data-testid="change-impact">
      {lost.requests > 0
        ? `This change would have denied ${lost.requests} request${lost.requests === 1 ? '' : 's'} from ${lost.addresses} address${lost.addresses === 1 ? '' : 'es'} in the last 24 hours (${lost.topAddresses.map((a) => a.address).join(', ')}).`
        : `This change would have denied none of the allowed requests of the last 24 hours (${impact.data.requests.decided} decided again).`}
    </Alert>
  );
}

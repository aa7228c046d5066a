/**
 * Authorized IPs: the review of unknown addresses. The tenant's mode (off / manual / auto), the
 * addresses waiting for review with authorize / reject, every recent address, what was authorized and
 * how (automatically, with the assessment's reasons, or by a person) with an undo, and the channels
 * that tell the owners.
 */
import { Stack, Tabs, Text, Title } from '@mantine/core';
import { NotificationChannels } from '../parts/notification-channels';
import { ObservedTable } from '../parts/observed-ips';
import { RestrictionMode } from '../parts/restriction-mode';
import { canEdit, type SessionInfo } from '../session';

export default function AuthorizedIpsPage(props: { tenantId: string; session: SessionInfo }) {
  const { tenantId, session } = props;
  const editable = canEdit(session);
  return (
    <Stack>
      <Title order={1}>Authorized IPs</Title>
      <Text size="sm">
        When one of this tenant’s keys is used from an address that is not on its IP list, ipgate records the
        address here. Authorize it and it joins the list: its next call passes. Reject it and it stays denied.
      </Text>
      <RestrictionMode
        tenantId={tenantId}
        editable={editable}
        clientAddress={session.clientAddress}
        explainAll
      />
      <Tabs defaultValue="pending" keepMounted={false}>
        <Tabs.List aria-label="Observed addresses">
          <Tabs.Tab value="pending">Waiting for review</Tabs.Tab>
          <Tabs.Tab value="recent">Recent addresses</Tabs.Tab>
          <Tabs.Tab value="authorized">Authorized</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="pending" pt="sm">
          <ObservedTable
            tenantId={tenantId}
            status="pending"
            editable={editable}
            emptyText="No address is waiting for review."
          />
        </Tabs.Panel>
        <Tabs.Panel value="recent" pt="sm">
          <ObservedTable
            tenantId={tenantId}
            status={undefined}
            editable={editable}
            showHow
            emptyText="No unknown address has called with this tenant’s keys yet."
          />
        </Tabs.Panel>
        <Tabs.Panel value="authorized" pt="sm">
          <Text size="sm" mb="sm">
            Addresses authorized automatically (auto mode: the assessment trusted them; its reasons are shown)
            or by review. <strong>Undo</strong> rejects the address: the entry authorizing it added is removed
            and it is not reviewed again. Deleting the entry on API IP Restriction instead makes it unknown
            again, and in auto mode its next call is assessed anew.
          </Text>
          <ObservedTable
            tenantId={tenantId}
            status="authorized"
            editable={editable}
            showHow
            emptyText="Nothing authorized from review yet."
          />
        </Tabs.Panel>
      </Tabs>
      <NotificationChannels tenantId={tenantId} editable={editable} />
    </Stack>
  );
}

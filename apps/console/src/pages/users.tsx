import { Text, Title } from '@mantine/core';

export default function Page(_props: { tenantId?: string; session: unknown }) {
  return (
    <>
      <Title order={1}>users</Title>
      <Text>Not built yet.</Text>
    </>
  );
}

/**
 * Export as CSV: the tenant's IP list as the server writes it (value,name,expiresAt,enabled, in address
 * order), saved by the browser as a file. Importing that file with "Replace the list" restores the list.
 */
import { api, unwrap } from '../api/client';

/**
 * Reads the export and hands it to the browser as a download named after the tenant.
 *
 * @example await downloadTenantCsv('ten_1'); // saves ip-list-ten_1.csv
 */
export async function downloadTenantCsv(tenantId: string): Promise<number> {
  const file = unwrap(
    await api.GET('/v1/tenants/{tenantId}/ip-restriction/entries/export', {
      params: { path: { tenantId }, query: { format: 'csv' } },
    }),
  );
  const url = URL.createObjectURL(new Blob([file.content], { type: 'text/csv' }));
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = `ip-list-${tenantId}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    // The click has started the download; the URL is not needed after this turn.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
  return file.count;
}

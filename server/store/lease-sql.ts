// The named lease's SQL, the same for SQLite and PostgreSQL (both have upserts with a condition and
// RETURNING). Parameters: 1 name, 2 holder, 3 until, 4 now. The holder extends its own lease; anyone
// takes a lapsed one, with a larger fence; a running lease of another holder returns no row.
export const ACQUIRE_LEASE = `
  INSERT INTO leases (name, holder, until, fence) VALUES ($1, $2, $3, 1)
  ON CONFLICT (name) DO UPDATE SET
    fence = CASE WHEN leases.holder = excluded.holder THEN leases.fence ELSE leases.fence + 1 END,
    holder = excluded.holder,
    until = excluded.until
  WHERE leases.holder = excluded.holder OR leases.until < $4
  RETURNING fence`;

// Lapsed at once, not deleted: the row keeps the fence, so the next holder's is still larger.
export const RELEASE_LEASE = 'UPDATE leases SET until = 0 WHERE name = $1 AND holder = $2';

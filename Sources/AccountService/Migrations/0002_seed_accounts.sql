-- The demo and test accounts (README): one active, one suspended, one near its daily limit,
-- one with a limit of 0 (always DAILY_LIMIT_EXCEEDED). Any other owner id is unknown.
INSERT INTO accounts (owner_id, status, daily_limit) VALUES
    ('acct-active-001', 'active', 100000),
    ('acct-suspended-002', 'suspended', 100000),
    ('acct-near-limit-003', 'active', 3),
    ('acct-over-limit-004', 'active', 0)
ON CONFLICT (owner_id) DO NOTHING;

-- keyseat-relay's state. Portable SQL: the same file migrates SQLite and PostgreSQL.
-- Times are Unix seconds; license keys are kept only as hashes (key_hash).

CREATE TABLE license_keys (
    key_hash TEXT PRIMARY KEY,
    license_key_id TEXT NOT NULL,
    customer_id TEXT,
    customer_email TEXT,
    product_id TEXT,
    status TEXT,
    expires_at BIGINT,
    activation_limit BIGINT,
    activations_used BIGINT,
    entitlements TEXT,
    -- A webhook revoked the key's grant (or disabled it): invalid with no upstream call.
    revoked BIGINT NOT NULL DEFAULT 0,
    -- The time of the newest event applied (events older than it change nothing).
    event_at BIGINT NOT NULL DEFAULT 0,
    -- When a webhook last changed the key: an answer confirmed before it is not used.
    changed_at BIGINT NOT NULL DEFAULT 0,
    -- When Dodo last confirmed the key's facts (its status, expiry, limit, grants).
    details_at BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX license_keys_by_id ON license_keys (license_key_id);

CREATE TABLE instances (
    instance_id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT,
    -- The machine the instance was activated on (the machine-ID component of keyseat's
    -- fingerprint); null for an instance the relay first heard of at a validation.
    machine TEXT,
    -- Dodo's last word on the instance, and when.
    valid BIGINT NOT NULL DEFAULT 0,
    confirmed_at BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX instances_by_key ON instances (key_hash);

CREATE TABLE webhook_events (
    webhook_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

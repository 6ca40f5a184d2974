-- Offline activations (machine files): one row per request served, so that a request sent
-- twice gets its machine file again rather than a second seat, and a release proof frees
-- the seat once. The removal token is kept only as a hash.

CREATE TABLE offline_activations (
    instance_id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL,
    request_nonce TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL,
    machine_file TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    released_at BIGINT
);

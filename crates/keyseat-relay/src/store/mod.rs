//! The relay's state, in SQLite (one file, the default) or PostgreSQL (several replicas
//! share it), behind one sqlx `Any` pool; the migrations are embedded. Every query is
//! portable SQL, its parameters numbered in the order they first appear (which SQLite needs
//! of `$N`). License keys are kept only as hashes.

use std::str::FromStr as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row as _};

mod offline;

pub use offline::OfflineRecord;

/// What the relay knows of a license key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRecord {
    /// The key's hash (`key_hash` of the protocol).
    pub key_hash: String,
    /// Dodo's id of the key (`lic_…`); empty while unknown (a webhook came first).
    pub license_key_id: String,
    pub customer_id: Option<String>,
    pub customer_email: Option<String>,
    pub product_id: Option<String>,
    /// Dodo's word: `active`, `disabled`, `expired`.
    pub status: Option<String>,
    pub expires_at: Option<i64>,
    pub activation_limit: Option<i64>,
    pub activations_used: Option<i64>,
    /// The license-key entitlement grants, as the protocol's JSON array.
    pub entitlements: Option<Vec<Grant>>,
    /// A webhook revoked the key (its grant revoked, the key disabled).
    pub revoked: bool,
    /// The time of the newest webhook event applied.
    pub event_at: i64,
    /// When a webhook last changed the key.
    pub changed_at: i64,
    /// When Dodo last confirmed the key's facts.
    pub details_at: i64,
}

impl KeyRecord {
    /// Whether the key works at `now`, by what Dodo last said of it: active (or nothing said
    /// yet), not expired, and no grant of it revoked. (The webhooks' `revoked` is apart.)
    pub fn works(&self, now: i64) -> bool {
        let grant_revoked = self
            .entitlements
            .as_ref()
            .is_some_and(|grants| grants.iter().any(|g| g.status == "revoked"));
        matches!(self.status.as_deref(), None | Some("active"))
            && self.expires_at.is_none_or(|e| e > now)
            && !grant_revoked
    }
}

/// A license-key entitlement grant, as the protocol shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grant_id: String,
    pub entitlement_id: String,
    pub status: String,
    pub activations_limit: Option<i64>,
    pub activations_used: Option<i64>,
    pub expires_at: Option<String>,
}

/// What the relay knows of an activation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceRecord {
    pub instance_id: String,
    pub key_hash: String,
    pub name: String,
    pub created_at: Option<String>,
    /// The machine it was activated on; `None` when the relay first heard of it at a
    /// validation (it is bound then).
    pub machine: Option<String>,
    /// Dodo's last word on it.
    pub valid: bool,
    /// When Dodo said it.
    pub confirmed_at: i64,
}

/// The store.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
}

/// A database error, in words (never a key: only hashes are stored).
pub type DbError = sqlx::Error;

impl Store {
    /// Connects to `url` (`sqlite://PATH`, created if missing, or `postgres://…`) and
    /// applies the migrations.
    ///
    /// # Errors
    /// When the database cannot be reached or migrated.
    pub async fn open(url: &str) -> Result<Store, DbError> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let url = if sqlite && !url.contains('?') {
            format!("{url}?mode=rwc")
        } else {
            url.to_owned()
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // Writers queue for a while instead of failing at once.
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        if sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// The key with this hash.
    ///
    /// # Errors
    /// Database errors.
    pub async fn key(&self, key_hash: &str) -> Result<Option<KeyRecord>, DbError> {
        let row = sqlx::query(
            "SELECT key_hash, license_key_id, customer_id, customer_email, product_id, status, \
             expires_at, activation_limit, activations_used, entitlements, revoked, event_at, \
             changed_at, details_at FROM license_keys WHERE key_hash = $1",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let entitlements: Option<String> = r.try_get("entitlements")?;
            Ok(KeyRecord {
                key_hash: r.try_get("key_hash")?,
                license_key_id: r.try_get("license_key_id")?,
                customer_id: r.try_get("customer_id")?,
                customer_email: r.try_get("customer_email")?,
                product_id: r.try_get("product_id")?,
                status: r.try_get("status")?,
                expires_at: r.try_get("expires_at")?,
                activation_limit: r.try_get("activation_limit")?,
                activations_used: r.try_get("activations_used")?,
                entitlements: entitlements.and_then(|t| serde_json::from_str(&t).ok()),
                revoked: r.try_get::<i64, _>("revoked")? != 0,
                event_at: r.try_get("event_at")?,
                changed_at: r.try_get("changed_at")?,
                details_at: r.try_get("details_at")?,
            })
        })
        .transpose()
    }

    /// Records what Dodo said of a key (`details_at` its time), keeping what webhooks said
    /// (the revocation, the event and change times).
    ///
    /// # Errors
    /// Database errors.
    pub async fn save_key(&self, k: &KeyRecord) -> Result<(), DbError> {
        let entitlements = k
            .entitlements
            .as_ref()
            .map(|e| serde_json::to_string(e).unwrap_or_default());
        sqlx::query(
            "INSERT INTO license_keys (key_hash, license_key_id, customer_id, customer_email, \
             product_id, status, expires_at, activation_limit, activations_used, entitlements, \
             details_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (key_hash) DO UPDATE SET license_key_id = excluded.license_key_id, \
             customer_id = excluded.customer_id, customer_email = excluded.customer_email, \
             product_id = excluded.product_id, status = excluded.status, \
             expires_at = excluded.expires_at, activation_limit = excluded.activation_limit, \
             activations_used = excluded.activations_used, \
             entitlements = excluded.entitlements, details_at = excluded.details_at",
        )
        .bind(&k.key_hash)
        .bind(&k.license_key_id)
        .bind(&k.customer_id)
        .bind(&k.customer_email)
        .bind(&k.product_id)
        .bind(&k.status)
        .bind(k.expires_at)
        .bind(k.activation_limit)
        .bind(k.activations_used)
        .bind(entitlements)
        .bind(k.details_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Applies a webhook's word on the key `key_hash` (revoked or not), dated `event_at`,
    /// unless the relay already applied a newer event; returns whether it did.
    ///
    /// # Errors
    /// Database errors.
    pub async fn apply_event(
        &self,
        key_hash: &str,
        revoked: bool,
        event_at: i64,
        now: i64,
    ) -> Result<bool, DbError> {
        let done = sqlx::query(
            "INSERT INTO license_keys (key_hash, license_key_id, revoked, event_at, changed_at) \
             VALUES ($1, '', $2, $3, $4) ON CONFLICT (key_hash) DO UPDATE SET \
             revoked = excluded.revoked, event_at = excluded.event_at, \
             changed_at = excluded.changed_at WHERE license_keys.event_at <= excluded.event_at",
        )
        .bind(key_hash)
        .bind(i64::from(revoked))
        .bind(event_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Lifts the webhooks' revocation of the key `key_hash`: Dodo said at `at` that the key
    /// works (it activated it, or validated it with its grant in force). An event dated
    /// before `at` changes nothing afterwards.
    ///
    /// # Errors
    /// Database errors.
    pub async fn lift_revocation(&self, key_hash: &str, at: i64) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE license_keys SET revoked = 0, event_at = $2 \
             WHERE key_hash = $1 AND revoked = 1 AND event_at <= $2",
        )
        .bind(key_hash)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The instance with this id.
    ///
    /// # Errors
    /// Database errors.
    pub async fn instance(&self, id: &str) -> Result<Option<InstanceRecord>, DbError> {
        let row = sqlx::query(
            "SELECT instance_id, key_hash, name, created_at, machine, valid, confirmed_at \
             FROM instances WHERE instance_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| instance_of(&r)).transpose()
    }

    /// The instances of the key `key_hash` the relay knows.
    ///
    /// # Errors
    /// Database errors.
    pub async fn instances_of(&self, key_hash: &str) -> Result<Vec<InstanceRecord>, DbError> {
        let rows = sqlx::query(
            "SELECT instance_id, key_hash, name, created_at, machine, valid, confirmed_at \
             FROM instances WHERE key_hash = $1 ORDER BY created_at, instance_id",
        )
        .bind(key_hash)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(instance_of).collect()
    }

    /// Records an instance (its machine is set only when none is recorded yet).
    ///
    /// # Errors
    /// Database errors.
    pub async fn save_instance(&self, i: &InstanceRecord) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO instances (instance_id, key_hash, name, created_at, machine, valid, \
             confirmed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (instance_id) DO \
             UPDATE SET valid = excluded.valid, confirmed_at = excluded.confirmed_at, \
             machine = COALESCE(instances.machine, excluded.machine)",
        )
        .bind(&i.instance_id)
        .bind(&i.key_hash)
        .bind(&i.name)
        .bind(&i.created_at)
        .bind(&i.machine)
        .bind(i64::from(i.valid))
        .bind(i.confirmed_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets an instance (deactivated).
    ///
    /// # Errors
    /// Database errors.
    pub async fn delete_instance(&self, id: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM instances WHERE instance_id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether the webhook `webhook_id` was applied before (a repeat).
    ///
    /// # Errors
    /// Database errors.
    pub async fn delivered(&self, webhook_id: &str) -> Result<bool, DbError> {
        let row = sqlx::query("SELECT 1 FROM webhook_events WHERE webhook_id = $1")
            .bind(webhook_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Records the webhook `webhook_id` as applied (after it was: a failure in between
    /// leaves it to Dodo's retry).
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_delivery(
        &self,
        webhook_id: &str,
        event_type: &str,
        now: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO webhook_events (webhook_id, event_type, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (webhook_id) DO NOTHING",
        )
        .bind(webhook_id)
        .bind(event_type)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets the webhooks received before `before` (Dodo's retries are over by then, and
    /// a replay is refused by its timestamp); how many.
    ///
    /// # Errors
    /// Database errors.
    pub async fn forget_deliveries(&self, before: i64) -> Result<u64, DbError> {
        let done = sqlx::query("DELETE FROM webhook_events WHERE received_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

fn instance_of(r: &sqlx::any::AnyRow) -> Result<InstanceRecord, DbError> {
    Ok(InstanceRecord {
        instance_id: r.try_get("instance_id")?,
        key_hash: r.try_get("key_hash")?,
        name: r.try_get("name")?,
        created_at: r.try_get("created_at")?,
        machine: r.try_get("machine")?,
        valid: r.try_get::<i64, _>("valid")? != 0,
        confirmed_at: r.try_get("confirmed_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("relay.db").display());
        (dir, Store::open(&url).await.unwrap())
    }

    #[tokio::test]
    async fn keys_instances_and_webhooks_round_trip() {
        let (_dir, s) = store().await;
        assert!(s.ping().await);
        assert_eq!(s.key("h").await.unwrap(), None);
        let mut k = KeyRecord {
            key_hash: "h".into(),
            license_key_id: "lic_1".into(),
            status: Some("active".into()),
            activation_limit: Some(3),
            entitlements: Some(vec![Grant {
                grant_id: "entg_1".into(),
                entitlement_id: "ent_1".into(),
                status: "Delivered".into(),
                activations_limit: Some(3),
                activations_used: Some(1),
                expires_at: None,
            }]),
            details_at: 100,
            ..KeyRecord::default()
        };
        s.save_key(&k).await.unwrap();
        assert_eq!(s.key("h").await.unwrap().as_ref(), Some(&k));
        // A webhook revokes it; an older event after it changes nothing; a repeat either.
        assert!(s.apply_event("h", true, 50, 200).await.unwrap());
        assert!(!s.apply_event("h", false, 40, 201).await.unwrap());
        let now = s.key("h").await.unwrap().unwrap();
        assert!(now.revoked && now.event_at == 50 && now.changed_at == 200);
        // Dodo's facts saved later keep the webhook's word.
        k.details_at = 300;
        s.save_key(&k).await.unwrap();
        assert!(s.key("h").await.unwrap().unwrap().revoked);
        // A webhook about a key the relay never saw.
        assert!(s.apply_event("unknown", true, 10, 11).await.unwrap());
        assert_eq!(s.key("unknown").await.unwrap().unwrap().license_key_id, "");

        let mut i = InstanceRecord {
            instance_id: "lki_1".into(),
            key_hash: "h".into(),
            name: "laptop".into(),
            machine: Some("m1".into()),
            valid: true,
            confirmed_at: 100,
            ..InstanceRecord::default()
        };
        s.save_instance(&i).await.unwrap();
        // The machine, once bound, stays.
        i.machine = Some("m2".into());
        i.confirmed_at = 200;
        s.save_instance(&i).await.unwrap();
        let back = s.instance("lki_1").await.unwrap().unwrap();
        assert_eq!(
            (back.machine.as_deref(), back.confirmed_at),
            (Some("m1"), 200)
        );
        assert_eq!(s.instances_of("h").await.unwrap().len(), 1);
        s.delete_instance("lki_1").await.unwrap();
        assert_eq!(s.instance("lki_1").await.unwrap(), None);

        assert!(!s.delivered("msg_1").await.unwrap());
        s.record_delivery("msg_1", "t", 100).await.unwrap();
        s.record_delivery("msg_1", "t", 200).await.unwrap();
        s.record_delivery("msg_2", "t", 300).await.unwrap();
        assert!(s.delivered("msg_1").await.unwrap());
        assert_eq!(
            s.forget_deliveries(250).await.unwrap(),
            1,
            "msg_1, as first received"
        );
        assert!(!s.delivered("msg_1").await.unwrap());
        assert!(s.delivered("msg_2").await.unwrap());
    }
}

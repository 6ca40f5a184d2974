//! The store's offline activations: the machine file served for each request (by its
//! nonce, so that a request sent twice is not a second seat), and the hash of its removal
//! token, released once.

use sqlx::Row as _;

use super::{DbError, Store};

/// One offline activation, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineRecord {
    pub instance_id: String,
    pub key_hash: String,
    pub request_nonce: String,
    /// SHA-256 of the removal token, hex.
    pub token_hash: String,
    /// The machine file served (readable only with the key, on that machine).
    pub machine_file: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub released_at: Option<i64>,
}

/// The columns, in order (a macro, so that queries stay static strings, as sqlx asks).
macro_rules! columns {
    () => {
        "instance_id, key_hash, request_nonce, token_hash, machine_file, issued_at, \
         expires_at, released_at"
    };
}

fn record_of(r: &sqlx::any::AnyRow) -> Result<OfflineRecord, DbError> {
    Ok(OfflineRecord {
        instance_id: r.try_get("instance_id")?,
        key_hash: r.try_get("key_hash")?,
        request_nonce: r.try_get("request_nonce")?,
        token_hash: r.try_get("token_hash")?,
        machine_file: r.try_get("machine_file")?,
        issued_at: r.try_get("issued_at")?,
        expires_at: r.try_get("expires_at")?,
        released_at: r.try_get("released_at")?,
    })
}

impl Store {
    /// The offline activation served for the request with this nonce.
    ///
    /// # Errors
    /// Database errors.
    pub async fn offline_by_nonce(&self, nonce: &str) -> Result<Option<OfflineRecord>, DbError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM offline_activations WHERE request_nonce = $1"
        ))
        .bind(nonce)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| record_of(&r)).transpose()
    }

    /// The offline activation of this instance.
    ///
    /// # Errors
    /// Database errors.
    pub async fn offline(&self, instance_id: &str) -> Result<Option<OfflineRecord>, DbError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM offline_activations WHERE instance_id = $1"
        ))
        .bind(instance_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| record_of(&r)).transpose()
    }

    /// Records an offline activation.
    ///
    /// # Errors
    /// Database errors (a request nonce served before, among them).
    pub async fn save_offline(&self, o: &OfflineRecord) -> Result<(), DbError> {
        sqlx::query(concat!(
            "INSERT INTO offline_activations (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&o.instance_id)
        .bind(&o.key_hash)
        .bind(&o.request_nonce)
        .bind(&o.token_hash)
        .bind(&o.machine_file)
        .bind(o.issued_at)
        .bind(o.expires_at)
        .bind(o.released_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks the offline activation of `instance_id` released at `at`, once: whether this
    /// call did (false when it was released before).
    ///
    /// # Errors
    /// Database errors.
    pub async fn release_offline(&self, instance_id: &str, at: i64) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE offline_activations SET released_at = $2 \
             WHERE instance_id = $1 AND released_at IS NULL",
        )
        .bind(instance_id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Undoes [`Store::release_offline`] when freeing the seat failed, so that the proof
    /// may be sent again.
    ///
    /// # Errors
    /// Database errors.
    pub async fn unrelease_offline(&self, instance_id: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE offline_activations SET released_at = NULL WHERE instance_id = $1")
            .bind(instance_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_is_served_once_and_released_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("o.db").display());
        let s = Store::open(&url).await.unwrap();
        let o = OfflineRecord {
            instance_id: "lki_1".into(),
            key_hash: "h".into(),
            request_nonce: "n1".into(),
            token_hash: "t".into(),
            machine_file: "file".into(),
            issued_at: 1,
            expires_at: 2,
            released_at: None,
        };
        s.save_offline(&o).await.unwrap();
        assert_eq!(s.offline_by_nonce("n1").await.unwrap(), Some(o.clone()));
        let mut again = o.clone();
        again.instance_id = "lki_2".into();
        assert!(
            s.save_offline(&again).await.is_err(),
            "a nonce is served once"
        );
        assert!(s.release_offline("lki_1", 5).await.unwrap());
        assert!(!s.release_offline("lki_1", 6).await.unwrap(), "once");
        assert_eq!(
            s.offline("lki_1").await.unwrap().unwrap().released_at,
            Some(5)
        );
        s.unrelease_offline("lki_1").await.unwrap();
        assert!(s.release_offline("lki_1", 7).await.unwrap());
    }
}

//! The seats of a key, for the customer to see which machines hold them and free one
//! ([`Licensor::release_instance`]): where the provider can list them (the relay, Keygen).

use crate::api::Seat;
use crate::credentials::Opened;
use crate::error::{Error, ErrorKind};
use crate::key::LicenseKey;

use super::Licensor;

impl Licensor {
    /// The seats of `key`, or of this machine's activation's key when `key` is `None`:
    /// each with its id (what [`Licensor::release_instance`] takes), name, creation time,
    /// and whether it is this machine's. Asks the server; stores nothing.
    ///
    /// # Errors
    /// [`ErrorKind::Unsupported`] when the provider cannot list seats (Dodo, Lemon Squeezy
    /// and Polar directly); [`ErrorKind::NotActivated`] with no key given and no activation
    /// here (or only credentials that fail their seal); [`ErrorKind::InvalidInput`] for a
    /// malformed key; the API's errors.
    pub fn seats(&self, key: Option<&str>) -> Result<Vec<Seat>, Error> {
        let key = match key {
            Some(key) => LicenseKey::new(key)?,
            None => match self.inner.store.current(false)? {
                Some(Opened::Sealed(creds) | Opened::Legacy(creds)) => creds.key.clone(),
                Some(Opened::Damaged(..)) | None => return Err(ErrorKind::NotActivated.into()),
            },
        };
        let machine = self.inner.fingerprint.id();
        self.inner.client.seats(&key, &machine)
    }
}

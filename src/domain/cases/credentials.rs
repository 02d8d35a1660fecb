//! Credential use cases: issue a webhook or an access token.

use crate::domain::credentials::*;
use crate::domain::store::Store;
use crate::domain::{Error, Timestamp, UserId};

/// Issues a credential for an existing user and returns its secret, which is
/// shown once and never stored.
pub async fn issue(
    store: &dyn Store,
    kind: CredentialKind,
    user: UserId,
    scopes: Scopes,
) -> Result<Secret, Error> {
    if store.user(user).await?.is_none() {
        return Err(Error::UserNotExists);
    }
    let secret = match kind {
        CredentialKind::Webhook => Secret::webhook(),
        CredentialKind::AccessToken => Secret::access_token(),
    };
    let now = Timestamp::now();
    store
        .create_credential(NewCredential {
            kind,
            user,
            token_hash: secret.hash(),
            scopes,
            created_at: now,
            expires_at: match kind {
                CredentialKind::Webhook => None,
                CredentialKind::AccessToken => Some(Timestamp(now.0 + ACCESS_TOKEN_TTL_SECS)),
            },
            client_id: None,
            ties: Default::default(),
        })
        .await?;
    Ok(secret)
}

/// `app.info`: the local id of an application (recorded on first use).
pub async fn application_id(store: &dyn Store, client_id: &str) -> Result<i64, Error> {
    Ok(store
        .application_id(client_id.to_owned(), Timestamp::now())
        .await?)
}

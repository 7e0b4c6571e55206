//! `i/revoke-token`: deletes one of the caller's bridge tokens (by `token` or `tokenId`), as
//! Misskey does for its access tokens; the token stops working at once (its cache entry is
//! dropped). Revoking an unknown token is no error.

use super::call::{Call, Reply};
use super::error::RestError;
use super::registry::{store_failed, user_id};

/// Serves `i/revoke-token`.
pub async fn revoke(call: &Call<'_>) -> Result<Reply, RestError> {
    let user = user_id(call).await?;
    let token = call.params.string("token")?;
    let token_id = call.params.string("tokenId")?;
    if token.is_none() && token_id.is_none() {
        return Err(RestError::invalid_param(
            "token",
            "must have required property 'token' or 'tokenId'",
        ));
    }
    let revoked = call
        .ctx
        .store()
        .revoke_token(&user, token, token_id)
        .await
        .map_err(store_failed)?;
    if let Some(hash) = revoked {
        call.ctx.bridge_grants.revoked(&hash);
    }
    Ok(Reply::NoContent)
}

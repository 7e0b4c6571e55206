//! One REST call being served: the context, its parameters, the upstream token, and the
//! pnut calls made on its behalf (errors already mapped to Misskey's).

use axum::http::HeaderMap;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{Missing, RestError};
use super::params::{Params, presented_token};
use crate::front::BridgeContext;
use crate::pnut::Meta;
use crate::ratelimit::token_hash;
use crate::storage::tokens::Grant;

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// 200 with this JSON body.
    Json(Value),
    /// 204, empty body.
    NoContent,
}

/// One call: shared state, parsed body and the upstream token (if any was presented).
#[derive(Debug)]
pub struct Call<'a> {
    /// The shared front state.
    pub ctx: &'a BridgeContext,
    /// The JSON body.
    pub params: Params,
    token: Option<String>,
    grant: Option<std::sync::Arc<Grant>>,
}

impl<'a> Call<'a> {
    /// Parses the body and resolves the presented token (a bridge token through the store,
    /// else `[tokens]` then passthrough); a refused token is `AUTHENTICATION_FAILED` whatever
    /// the endpoint, as Misskey does.
    pub async fn new(
        ctx: &'a BridgeContext,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Self, RestError> {
        Self::with_params(ctx, headers, Params::parse(body)?).await
    }

    /// A call with already parsed parameters (a `GET` call's query string).
    pub async fn with_params(
        ctx: &'a BridgeContext,
        headers: &HeaderMap,
        params: Params,
    ) -> Result<Self, RestError> {
        let (token, grant) = match presented_token(headers, &params)? {
            None => (None, None),
            Some(presented) => match ctx.misskey_upstream(&presented).await {
                Ok(Some(resolved)) => (Some(resolved.upstream), resolved.grant),
                Ok(None) => {
                    tracing::info!(token = %token_hash(&presented), "misskey REST: token refused");
                    return Err(RestError::authentication_failed());
                }
                Err(error) => return Err(RestError::internal(&error.to_string())),
            },
        };
        Ok(Self {
            ctx,
            params,
            token,
            grant,
        })
    }

    /// The bridge token's grant, when the call came with a bridge token (MiAuth).
    pub fn grant(&self) -> Option<&Grant> {
        self.grant.as_deref()
    }

    /// The upstream token, or `CREDENTIAL_REQUIRED` for an anonymous call.
    pub fn token(&self) -> Result<&str, RestError> {
        self.token
            .as_deref()
            .ok_or_else(RestError::credential_required)
    }

    /// The upstream token, or the empty token (an anonymous pnut call) when none was given.
    pub fn token_or_anonymous(&self) -> &str {
        self.token.as_deref().unwrap_or("")
    }

    /// `GET /v1{path}` as this call's token (anonymous when none); the envelope's `data`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        missing: Missing,
    ) -> Result<T, RestError> {
        self.get_page(path, query, missing)
            .await
            .map(|(data, _)| data)
    }

    /// `GET /v1{path}` as this call's token: the data and the envelope's `meta` (for
    /// `more`, `min_id`, `max_id`).
    pub async fn get_page<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        missing: Missing,
    ) -> Result<(T, Meta), RestError> {
        let envelope = self
            .ctx
            .pnut
            .get::<T>(self.token_or_anonymous(), path, query)
            .await
            .map_err(|error| RestError::from_upstream(&error, missing))?;
        let data = envelope
            .data
            .ok_or_else(|| RestError::internal("pnut answered without data"))?;
        Ok((data, envelope.meta))
    }

    /// A pnut write as this call's token (required); the envelope's `data`, if any.
    pub async fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        missing: Missing,
    ) -> Result<Option<T>, RestError> {
        self.write_query(method, path, &[], body, missing).await
    }

    /// [`Call::write`] with query parameters (e.g. `include_post_raw`).
    pub async fn write_query<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        missing: Missing,
    ) -> Result<Option<T>, RestError> {
        let token = self.token()?;
        let envelope = self
            .ctx
            .pnut
            .write::<T>(token, method, path, query, body)
            .await
            .map_err(|error| RestError::from_upstream(&error, missing))?;
        Ok(envelope.data)
    }
}

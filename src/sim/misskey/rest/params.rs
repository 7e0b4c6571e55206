//! Typed access to a JSON request body with Misskey's `INVALID_PARAM` errors, and the
//! `sinceId`/`untilId`/`limit` pagination of misskey.md §7.4.

use serde_json::{Map, Value};

use super::super::aidx::aidx_floor;
use super::error::ApiError;

/// The request body's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    body: &'a Map<String, Value>,
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Exclusive lower bound.
    pub since_id: Option<String>,
    /// Exclusive upper bound.
    pub until_id: Option<String>,
    /// 1–100.
    pub limit: usize,
}

/// Whether `id` is a valid `misskey:id` (`^[a-zA-Z0-9]+$`).
fn is_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric())
}

impl<'a> Params<'a> {
    /// Wraps a request body.
    pub fn new(body: &'a Map<String, Value>) -> Self {
        Self { body }
    }

    /// The value of `name` unless absent or null.
    fn value(&self, name: &str) -> Option<&'a Value> {
        self.body.get(name).filter(|v| !v.is_null())
    }

    /// An optional string.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(ApiError::invalid_param(
                &format!("#/properties/{name}/type"),
                "must be string",
            )),
        }
    }

    /// An optional id.
    pub fn opt_id(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.opt_str(name)? {
            Some(id) if !is_id(&id) => Err(ApiError::invalid_param(
                &format!("#/properties/{name}/format"),
                "must match format \"misskey:id\"",
            )),
            other => Ok(other),
        }
    }

    /// A required id.
    pub fn req_id(&self, name: &str) -> Result<String, ApiError> {
        self.opt_id(name)?.ok_or_else(|| {
            ApiError::invalid_param(
                "#/required",
                &format!("must have required property '{name}'"),
            )
        })
    }

    /// A list of ids (absent → empty).
    pub fn ids(&self, name: &str) -> Result<Vec<String>, ApiError> {
        let bad = || {
            ApiError::invalid_param(
                &format!("#/properties/{name}/items"),
                "must be array of misskey:id",
            )
        };
        match self.value(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .filter(|id| is_id(id))
                        .map(str::to_string)
                        .ok_or_else(bad)
                })
                .collect(),
            Some(_) => Err(bad()),
        }
    }

    /// An optional boolean with its default.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.value(name) {
            None => Ok(default),
            Some(Value::Bool(flag)) => Ok(*flag),
            Some(_) => Err(ApiError::invalid_param(
                &format!("#/properties/{name}/type"),
                "must be boolean",
            )),
        }
    }

    /// An optional integer in `min..=max`.
    pub fn int(&self, name: &str, default: i64, min: i64, max: i64) -> Result<i64, ApiError> {
        let Some(value) = self.value(name) else {
            return Ok(default);
        };
        let Some(number) = value.as_i64() else {
            return Err(ApiError::invalid_param(
                &format!("#/properties/{name}/type"),
                "must be integer",
            ));
        };
        if number < min {
            return Err(ApiError::invalid_param(
                &format!("#/properties/{name}/minimum"),
                &format!("must be >= {min}"),
            ));
        }
        if number > max {
            return Err(ApiError::invalid_param(
                &format!("#/properties/{name}/maximum"),
                &format!("must be <= {max}"),
            ));
        }
        Ok(number)
    }

    /// `sinceId`/`untilId`/`sinceDate`/`untilDate`/`limit`.
    pub fn page(&self) -> Result<Page, ApiError> {
        let limit = usize::try_from(self.int("limit", 10, 1, 100)?).unwrap_or(10);
        let since_date = self.int("sinceDate", 0, 0, i64::MAX)?;
        let until_date = self.int("untilDate", 0, 0, i64::MAX)?;
        let since_id = self
            .opt_id("sinceId")?
            .or_else(|| (since_date > 0).then(|| aidx_floor(since_date)));
        let until_id = self
            .opt_id("untilId")?
            .or_else(|| (until_date > 0).then(|| aidx_floor(until_date)));
        Ok(Page {
            since_id,
            until_id,
            limit,
        })
    }
}

/// Applies `page` to `items` given in ascending id order: exclusive bounds, newest first
/// unless only `sinceId` is set (then oldest first).
pub fn paginate<T>(items: Vec<(String, T)>, page: &Page) -> Vec<T> {
    let in_range = items.into_iter().filter(|(id, _)| {
        page.since_id.as_ref().is_none_or(|since| id > since)
            && page.until_id.as_ref().is_none_or(|until| id < until)
    });
    if page.since_id.is_some() && page.until_id.is_none() {
        in_range.take(page.limit).map(|(_, item)| item).collect()
    } else {
        let all: Vec<T> = in_range.map(|(_, item)| item).collect();
        all.into_iter().rev().take(page.limit).collect()
    }
}

impl Params<'_> {
    /// An optional list of strings.
    pub fn opt_strings(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        let bad = || {
            ApiError::invalid_param(
                &format!("#/properties/{name}/type"),
                "must be array of string",
            )
        };
        match self.value(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_string).ok_or_else(bad))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(since: Option<&str>, until: Option<&str>, limit: usize) -> Page {
        Page {
            since_id: since.map(str::to_string),
            until_id: until.map(str::to_string),
            limit,
        }
    }

    fn items() -> Vec<(String, u32)> {
        (1..=6).map(|n| (format!("id{n}"), n)).collect()
    }

    #[test]
    fn newest_first_unless_since_only() {
        assert_eq!(paginate(items(), &page(None, None, 3)), vec![6, 5, 4]);
        assert_eq!(paginate(items(), &page(None, Some("id4"), 2)), vec![3, 2]);
        assert_eq!(paginate(items(), &page(Some("id2"), None, 2)), vec![3, 4]);
        assert_eq!(
            paginate(items(), &page(Some("id2"), Some("id6"), 2)),
            vec![5, 4]
        );
    }

    #[test]
    fn limit_bounds_are_invalid_params() {
        for limit in [0, 101, -3] {
            let body: Map<String, Value> =
                serde_json::from_value(serde_json::json!({"limit": limit})).unwrap();
            let error = Params::new(&body).page().unwrap_err();
            assert_eq!(error.body.error.code, "INVALID_PARAM");
        }
        let body: Map<String, Value> =
            serde_json::from_value(serde_json::json!({"sinceId": "a-b"})).unwrap();
        assert!(
            Params::new(&body).page().is_err(),
            "ids must be alphanumeric"
        );
        let empty = Map::new();
        assert_eq!(Params::new(&empty).page().unwrap().limit, 10);
    }
}

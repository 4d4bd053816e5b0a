//! Reading JSON bodies with the contract's errors: 413 over the limit, 400 for malformed
//! JSON, and field-level 422s from [`Fields`] while parsing into domain values.

use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::error::{AppError, FieldErrors};

/// Largest JSON body any endpoint accepts.
pub const JSON_LIMIT: usize = 64 * 1024;

/// Reads the whole body (at most `limit` bytes) and parses it as JSON. An empty body is `{}`.
pub async fn read_json(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<(web::Bytes, Value), AppError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(AppError::PayloadTooLarge { limit });
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::MalformedBody(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((body, Value::Object(Map::new())));
    }
    let value: Value =
        serde_json::from_slice(&body).map_err(|e| AppError::MalformedBody(e.to_string()))?;
    if !value.is_object() {
        return Err(AppError::MalformedBody(
            "the body must be a JSON object".to_owned(),
        ));
    }
    Ok((body, value))
}

/// Walks a JSON object, collecting one problem per field path.
pub struct Fields<'a> {
    root: &'a Value,
    pub errors: FieldErrors,
}

impl<'a> Fields<'a> {
    pub fn new(root: &'a Value) -> Self {
        Self {
            root,
            errors: FieldErrors::new(),
        }
    }

    fn lookup(&self, path: &str) -> Option<&'a Value> {
        let mut v = self.root;
        for part in path.split('.') {
            v = v.get(part)?;
        }
        (!v.is_null()).then_some(v)
    }

    pub fn error(&mut self, path: &str, problem: impl Into<String>) {
        self.errors
            .entry(path.to_owned())
            .or_insert_with(|| problem.into());
    }

    pub fn present(&self, path: &str) -> bool {
        self.lookup(path).is_some()
    }

    /// An optional string; a non-string is a field error.
    pub fn opt_str(&mut self, path: &str) -> Option<&'a str> {
        match self.lookup(path) {
            None => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.error(path, "must be a string");
                None
            }
        }
    }

    /// A required string.
    pub fn req_str(&mut self, path: &str) -> Option<&'a str> {
        if self.lookup(path).is_none() {
            self.error(path, "is required");
            return None;
        }
        self.opt_str(path)
    }

    pub fn opt_bool(&mut self, path: &str) -> Option<bool> {
        match self.lookup(path) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.error(path, "must be true or false");
                None
            }
        }
    }

    pub fn opt_i64(&mut self, path: &str) -> Option<i64> {
        match self.lookup(path) {
            None => None,
            Some(v) => match v.as_i64() {
                Some(n) => Some(n),
                None => {
                    self.error(path, "must be a whole number");
                    None
                }
            },
        }
    }

    /// Parses a string field into a domain value, recording the parser's message.
    pub fn parse<T, E: std::fmt::Display>(
        &mut self,
        path: &str,
        required: bool,
        f: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let raw = if required {
            self.req_str(path)
        } else {
            self.opt_str(path)
        }?;
        match f(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(path, e.to_string());
                None
            }
        }
    }

    /// All fields parsed: Ok, or every problem at once as one 422.
    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}

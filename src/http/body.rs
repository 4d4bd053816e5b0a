//! Reading JSON bodies with the contract's errors: 413 over the limit, 400 for malformed
//! JSON, and field-level 422s from [`Fields`] while parsing into domain values. A body is
//! deserialized into its body struct (fields of type [`Input`]), the same struct the OpenAPI
//! document is generated from, so the document cannot name a field the handler does not read.

use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
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

/// Reads the body like [`read_json`] and deserializes it into `T`: a body struct whose fields
/// are [`Input`]s (all `#[serde(default)]`), the same struct the OpenAPI document shows. Any
/// JSON object fits such a struct, so every problem with a field is left to [`Fields`] and
/// comes back as a field error, all at once.
pub async fn read_body<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<(web::Bytes, T), AppError> {
    let (raw, value) = read_json(req, payload, limit).await?;
    Ok((raw, from_value(value)?))
}

/// A JSON object (or `null`, as `{}`) into the body struct `T`.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, AppError> {
    let value = if value.is_null() {
        Value::Object(Map::new())
    } else {
        value
    };
    serde_json::from_value(value).map_err(|e| AppError::MalformedBody(e.to_string()))
}

/// One field of a body as the client sent it: absent (or `null`), or any JSON value. The
/// handler parses it into its domain value through [`Fields`], so a value of the wrong type
/// is a field error naming the field, not a 400 for the whole body. The field's documented
/// type is its `#[schema(value_type = …)]`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Input(Option<Value>);

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(Self((!v.is_null()).then_some(v)))
    }
}

impl Input {
    pub fn is_present(&self) -> bool {
        self.0.is_some()
    }

    pub fn value(&self) -> Option<&Value> {
        self.0.as_ref()
    }
}

/// Collects one problem per field path while a body's [`Input`]s are parsed.
#[derive(Default)]
pub struct Fields {
    pub errors: FieldErrors,
}

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn error(&mut self, path: &str, problem: impl Into<String>) {
        self.errors
            .entry(path.to_owned())
            .or_insert_with(|| problem.into());
    }

    /// An optional string; a non-string is a field error.
    pub fn opt_str<'a>(&mut self, path: &str, input: &'a Input) -> Option<&'a str> {
        match input.value() {
            None => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.error(path, "must be a string");
                None
            }
        }
    }

    /// A required string.
    pub fn req_str<'a>(&mut self, path: &str, input: &'a Input) -> Option<&'a str> {
        if !input.is_present() {
            self.error(path, "is required");
            return None;
        }
        self.opt_str(path, input)
    }

    pub fn opt_bool(&mut self, path: &str, input: &Input) -> Option<bool> {
        match input.value() {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.error(path, "must be true or false");
                None
            }
        }
    }

    pub fn opt_i64(&mut self, path: &str, input: &Input) -> Option<i64> {
        match input.value() {
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

    /// A nested object, deserialized into its body struct `T` (whose fields are [`Input`]s);
    /// absent or not an object is a field error, and then `T::default()` is parsed on, so
    /// that its required fields are named too.
    pub fn object<T: DeserializeOwned + Default>(
        &mut self,
        path: &str,
        input: &Input,
        required: bool,
    ) -> T {
        match input.value() {
            None => {
                if required {
                    self.error(path, "is required");
                }
                T::default()
            }
            Some(v @ Value::Object(_)) => serde_json::from_value(v.clone()).unwrap_or_else(|e| {
                self.error(path, e.to_string());
                T::default()
            }),
            Some(_) => {
                self.error(path, "must be an object");
                T::default()
            }
        }
    }

    /// Parses a string field into a domain value, recording the parser's message.
    pub fn parse<T, E: std::fmt::Display>(
        &mut self,
        path: &str,
        input: &Input,
        required: bool,
        f: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let raw = if required {
            self.req_str(path, input)
        } else {
            self.opt_str(path, input)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Body {
        name: Input,
        age: Input,
        nested: Input,
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Nested {
        inner: Input,
    }

    #[test]
    fn any_object_fits_and_every_problem_is_a_field_error() {
        let body: Body =
            from_value(serde_json::json!({"name": 5, "age": "x", "extra": true, "nested": 1}))
                .unwrap();
        let mut f = Fields::new();
        assert_eq!(f.opt_str("name", &body.name), None);
        assert_eq!(f.opt_i64("age", &body.age), None);
        let nested: Nested = f.object("nested", &body.nested, true);
        assert_eq!(f.req_str("nested.inner", &nested.inner), None);
        let Err(AppError::Validation(fields)) = f.finish() else {
            panic!("expected field errors");
        };
        assert_eq!(
            fields.keys().map(String::as_str).collect::<Vec<_>>(),
            ["age", "name", "nested", "nested.inner"]
        );
        let body: Body = from_value(serde_json::json!({"name": null})).unwrap();
        assert!(!body.name.is_present());
    }
}

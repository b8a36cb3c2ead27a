//! Request bodies: JSON whatever the `Content-Type` says (the SDKs all send JSON, some
//! scripts forget the header), refused with the API's own error shape rather than actix's
//! plain-text one.

use actix_web::web::Bytes;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// Parses a JSON body; an empty body reads as `{}`, so endpoints whose fields are all
/// optional accept a bare POST.
pub fn json<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(text).map_err(|cause| ApiError::malformed_body(&cause))
}

/// A field that distinguishes "absent" (keep as is) from `null` (clear): serde maps an absent
/// field to `None` through `#[serde(default)]` and a present one through this function.
pub fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// A JSON number that is a whole number (`30` or `30.0`: JSON does not tell them apart).
pub fn whole_number(value: &serde_json::Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|number| number.fract() == 0.0 && number.abs() < 9.0e15)
            .map(|number| number as i64)
    })
}

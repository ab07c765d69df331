//! Serde helpers that accept what the services actually send: nulls, numbers as strings, odd dates.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::api::error::clean_text;

/// A missing or `null` value becomes the type's default.
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A string, or a number written as text (entity ids are sometimes numeric app ids).
pub(crate) fn string_or_number<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(
        match Option::<serde_json::Value>::deserialize(deserializer)? {
            Some(serde_json::Value::String(text)) => text,
            Some(serde_json::Value::Number(number)) => number.to_string(),
            Some(serde_json::Value::Bool(flag)) => flag.to_string(),
            _ => String::new(),
        },
    )
}

/// An id: a non-empty string or a number; anything else fails the item (it cannot be acted on).
pub(crate) fn id<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) if !text.is_empty() => Ok(text),
        serde_json::Value::Number(number) => Ok(number.to_string()),
        _ => Err(serde::de::Error::custom("id is not a string or number")),
    }
}

/// A non-negative number, or a string holding one; anything else is `None`.
pub(crate) fn number_or_string<'de, D>(deserializer: D) -> Result<Option<u64>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(
        match Option::<serde_json::Value>::deserialize(deserializer)? {
            Some(serde_json::Value::Number(number)) => number.as_u64(),
            Some(serde_json::Value::String(text)) => text.trim().parse().ok(),
            _ => None,
        },
    )
}

/// An integer sent as a number (floats truncated) or as text; anything else is `None`.
pub(crate) fn int<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<serde_json::Value>::deserialize(deserializer)?
        .as_ref()
        .and_then(int_of))
}

/// Like [`int`], with 0 for a missing or unreadable value.
pub(crate) fn int_or_zero<'de, D>(deserializer: D) -> Result<i64, D::Error>
where
    D: Deserializer<'de>,
{
    int(deserializer).map(Option::unwrap_or_default)
}

pub(crate) fn int_of(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(number) => number
            .as_i64()
            .or_else(|| number.as_f64().map(|f| f as i64)),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A list whose unreadable items are dropped (with a warning) instead of failing the whole answer,
/// so one odd alert or machine never blocks the rest.
pub(crate) fn valid_items<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let items = Option::<Vec<serde_json::Value>>::deserialize(deserializer)?.unwrap_or_default();
    Ok(items
        .into_iter()
        .filter_map(|item| match serde_json::from_value::<T>(item) {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                let what = std::any::type_name::<T>()
                    .rsplit("::")
                    .next()
                    .unwrap_or("item");
                tracing::warn!(
                    "skipped a {what} the client cannot read: {}",
                    clean_text(&error.to_string(), 200)
                );
                None
            }
        })
        .collect())
}

/// An ISO-8601 time with or without zone (no zone means UTC); unparseable text becomes `None`.
pub(crate) fn time<'de, D>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<serde_json::Value>::deserialize(deserializer)?
        .as_ref()
        .and_then(serde_json::Value::as_str)
        .and_then(parse_time))
}

/// Parses the time spellings seen from Defender and Graph.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

/// Defines a string enum with an `Unknown(String)` fallback, matched case-insensitively.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Unknown(text) => text,
                }
            }

            /// Parses a wire value, case-insensitively.
            pub fn parse(text: &str) -> $name {
                $(if text.eq_ignore_ascii_case($text) {
                    return $name::$variant;
                })+
                $name::Unknown(text.to_string())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = $crate::api::models::lenient::string_or_number(deserializer)?;
                Ok($name::parse(&text))
            }
        }
    };
}

/// Defines an integer enum with an `Unknown(i64)` fallback.
macro_rules! number_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know, kept as sent.
            Unknown(i64),
        }

        impl $name {
            /// The wire value.
            pub fn value(self) -> i64 {
                match self {
                    $($name::$variant => $value,)+
                    $name::Unknown(value) => value,
                }
            }

            /// Maps a wire value.
            pub fn from_value(value: i64) -> $name {
                match value {
                    $($value => $name::$variant,)+
                    other => $name::Unknown(other),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.value())
            }
        }

        impl $name {
            /// Reads a number, a numeric string or a variant name (`HIGH`, `false_positive`);
            /// anything else is `Unknown(-1)`.
            fn from_json(value: &serde_json::Value) -> $name {
                if let Some(number) = $crate::api::models::lenient::int_of(value) {
                    return $name::from_value(number);
                }
                let text: String = value.as_str().unwrap_or("").chars().filter(|c| *c != '_').collect();
                $(if text.eq_ignore_ascii_case(stringify!($variant)) {
                    return $name::$variant;
                })+
                $name::Unknown(-1)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let value = serde_json::Value::deserialize(deserializer)?;
                Ok($name::from_json(&value))
            }
        }
    };
}

pub(crate) use {number_enum, string_enum};

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Numbers {
        #[serde(default, deserialize_with = "int")]
        a: Option<i64>,
        #[serde(default, deserialize_with = "int_or_zero")]
        b: i64,
        #[serde(default, deserialize_with = "valid_items")]
        list: Vec<u8>,
    }

    #[test]
    fn numbers_as_text_and_unreadable_items() {
        let n: Numbers =
            serde_json::from_str(r#"{"a": "17", "b": {"x": 1}, "list": [1, "two", 3, 300]}"#)
                .unwrap();
        assert_eq!(n.a, Some(17));
        assert_eq!(n.b, 0);
        assert_eq!(n.list, vec![1, 3]);
        let n: Numbers = serde_json::from_str(r#"{"a": 2.9, "list": null}"#).unwrap();
        assert_eq!(n.a, Some(2));
        assert!(n.list.is_empty());
    }

    #[test]
    fn times_with_and_without_zone() {
        assert!(parse_time("2024-07-25T08:05:11.2262283Z").is_some());
        assert!(parse_time("2024-07-25T08:07:00").is_some());
        assert!(parse_time("yesterday").is_none());
    }
}

//! JSON a journal row carries (a remediation's proof and cover) kept as its text: a fraction of the memory a
//! parsed `serde_json::Value` takes, parsed only where it is read.

use serde::{Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// Well-formed JSON text, as journaled; serialized as that JSON, compared as text.
#[derive(Debug, Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// `text` when it is well-formed JSON.
    pub fn parse(text: String) -> serde_json::Result<RawJson> {
        RawValue::from_string(text).map(RawJson)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The JSON parsed (`Null` never happens: the text was checked when it was made).
    pub fn value(&self) -> Value {
        serde_json::from_str(self.as_str()).unwrap_or(Value::Null)
    }

    /// Bytes of text.
    pub fn len(&self) -> usize {
        self.as_str().len()
    }

    /// Whether the text is empty (never: JSON text has at least one character).
    pub fn is_empty(&self) -> bool {
        self.as_str().is_empty()
    }
}

impl From<&Value> for RawJson {
    fn from(value: &Value) -> RawJson {
        let text = value.to_string();
        RawJson(RawValue::from_string(text).expect("a Value serializes to well-formed JSON"))
    }
}

impl From<Value> for RawJson {
    fn from(value: Value) -> RawJson {
        RawJson::from(&value)
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &RawJson) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kept_as_text_read_as_json() {
        let proof = RawJson::from(json!({"graphDeviceId": "g-1", "tags": ["a"]}));
        assert_eq!(proof.value()["tags"][0], "a");
        assert_eq!(
            serde_json::to_value(&proof).unwrap(),
            json!({"graphDeviceId": "g-1", "tags": ["a"]})
        );
        assert!(RawJson::parse("{\"a\":".into()).is_err());
        assert_eq!(
            RawJson::parse(" {\"a\": 1}".into()).unwrap().value(),
            json!({"a": 1})
        );
    }
}

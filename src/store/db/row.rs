//! A result row read from either backend: its values and the column names, read by index or by name.

use std::sync::Arc;

use super::value::{FromValue, Value, conversion};
use super::{DbError, DbResult};

/// One row of a result.
#[derive(Debug, Clone)]
pub struct Row {
    names: Arc<[String]>,
    values: Vec<Value>,
}

/// A column by position (`0`) or by name (`"state"`).
pub trait RowIndex {
    fn position(&self, names: &[String]) -> DbResult<usize>;
}

impl RowIndex for usize {
    fn position(&self, names: &[String]) -> DbResult<usize> {
        (*self < names.len())
            .then_some(*self)
            .ok_or_else(|| DbError::NoSuchColumn(self.to_string()))
    }
}

impl RowIndex for &str {
    fn position(&self, names: &[String]) -> DbResult<usize> {
        names
            .iter()
            .position(|name| name == self)
            .or_else(|| {
                names
                    .iter()
                    .position(|name| name.eq_ignore_ascii_case(self))
            })
            .ok_or_else(|| DbError::NoSuchColumn((*self).to_owned()))
    }
}

impl Row {
    pub(crate) fn new(names: Arc<[String]>, values: Vec<Value>) -> Row {
        Row { names, values }
    }

    /// Column `idx` as a `T`; a typed error when it holds something else.
    pub fn get<I: RowIndex, T: FromValue>(&self, idx: I) -> DbResult<T> {
        let at = idx.position(&self.names)?;
        T::from_value(&self.values[at]).map_err(|problem| conversion(&self.names[at], problem))
    }

    /// The row's values, in column order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }
}

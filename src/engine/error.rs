//! Engine errors: the journal or an API refused, with the cause kept.

use crate::api::ApiError;
use crate::store::StoreError;

/// Why an engine step could not complete.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("journal: {0}")]
    Journal(#[from] StoreError),
    #[error("the journal writer stopped; restart remedy")]
    JournalGone,
    #[error(transparent)]
    Api(#[from] ApiError),
}

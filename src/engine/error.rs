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
    /// The one read shared by several machines failed: each of them waits for the same reason.
    #[error("{0}")]
    SharedRead(std::sync::Arc<ApiError>),
    /// The read a decision rests on was older than the proof may be when it is journaled.
    #[error("the read of the machine's actions was {0} s old, more than the proof may be")]
    ProofTooOld(i64),
}

//! Which richer Defender query forms tracking still uses; a refused form switches to its documented fallback for good.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::api::ApiError;

/// A richer list query tracking uses to save calls, each with a fallback made of documented calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RichQuery {
    /// `id eq '…' or id eq '…'`; fallback: `GET /api/machineactions/{id}` per action.
    IdBatch,
    /// `creationDateTimeUtc ge …`; fallback: the id batches (or their own fallback).
    CreatedSince,
}

impl RichQuery {
    /// What the notice says when Defender refuses the form.
    pub fn switch_note(self) -> &'static str {
        match self {
            RichQuery::IdBatch => {
                "Defender refused the batched `id eq … or …` status query; tracking reads each action by id from now on"
            }
            RichQuery::CreatedSince => {
                "Defender refused the `creationDateTimeUtc ge …` list; tracking reads actions by id from now on"
            }
        }
    }
}

/// Whether a query form is still in use: every form starts rich and may only ever fall back.
#[derive(Debug, Default)]
pub struct QueryForms {
    id_batch_refused: AtomicBool,
    created_since_refused: AtomicBool,
}

impl QueryForms {
    fn flag(&self, query: RichQuery) -> &AtomicBool {
        match query {
            RichQuery::IdBatch => &self.id_batch_refused,
            RichQuery::CreatedSince => &self.created_since_refused,
        }
    }

    /// Whether `query` may still be sent in its rich form.
    pub fn allows(&self, query: RichQuery) -> bool {
        !self.flag(query).load(Ordering::Relaxed)
    }

    /// Switches `query` to its fallback when `error` is Defender refusing it; true only the first time
    /// (so the switch is noticed once).
    pub fn refuse_on(&self, query: RichQuery, error: &ApiError) -> bool {
        refused_query(error) && !self.flag(query).swap(true, Ordering::Relaxed)
    }
}

/// A 400-class answer: the service refused the query itself (retrying it unchanged cannot help).
pub fn refused_query(error: &ApiError) -> bool {
    matches!(error, ApiError::BadRequest { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Call;

    fn bad_request() -> ApiError {
        ApiError::BadRequest {
            call: Call::ListMachineActions,
            status: 400,
            body: "ODataError".into(),
        }
    }

    #[test]
    fn a_refusal_switches_one_form_once_and_other_errors_do_not() {
        let forms = QueryForms::default();
        assert!(forms.allows(RichQuery::IdBatch) && forms.allows(RichQuery::CreatedSince));
        let timeout = ApiError::Settings("network down".into());
        assert!(!forms.refuse_on(RichQuery::IdBatch, &timeout));
        assert!(forms.allows(RichQuery::IdBatch));
        assert!(forms.refuse_on(RichQuery::IdBatch, &bad_request()));
        assert!(!forms.allows(RichQuery::IdBatch));
        assert!(forms.allows(RichQuery::CreatedSince));
        assert!(
            !forms.refuse_on(RichQuery::IdBatch, &bad_request()),
            "noticed once"
        );
    }
}

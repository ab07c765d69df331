//! Links a remediation to its Defender action: the action id, the state change and its audit entry, in one commit.

use crate::store::AuditEntry;

use super::core::{Ctx, Internal};
use super::error::EngineError;
use super::interface::{Cover, RemediationState};

/// A remediation found, submitted or attached to a Defender action.
pub(super) struct Link {
    pub remediation_id: String,
    pub action_id: String,
    /// The state the remediation must still be in (compare-and-set).
    pub from: RemediationState,
    pub to: RemediationState,
    pub note: String,
    /// Audited with the link, stamped with the same time.
    pub audit: Option<AuditEntry>,
    /// Proof that the action, which remedy did not send for it, covers this remediation.
    pub cover: Option<Cover>,
}

/// Journals the link and reports the changed row.
pub(super) async fn record(ctx: &Ctx, link: Link) -> Result<(), EngineError> {
    let at = ctx.clock.now_utc();
    let rows = ctx
        .journal
        .call(move |j| {
            j.atomic(|tx| {
                tx.set_provider_action_id(&link.remediation_id, &link.action_id, at)?;
                if let Some(cover) = &link.cover {
                    let proof = serde_json::to_value(cover).unwrap_or_default();
                    tx.set_cover(&link.remediation_id, &proof)?;
                }
                if let Some(mut entry) = link.audit {
                    entry.at = at;
                    tx.append_audit(&entry)?;
                }
                tx.transition_if(
                    &link.remediation_id,
                    link.from,
                    link.to,
                    Some(&link.note),
                    at,
                )
            })
        })
        .await?;
    ctx.report(Internal::Rows(rows.into_iter().collect()));
    Ok(())
}

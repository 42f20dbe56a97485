//! A record's request body, built by the routed plugin in a fresh sandbox:
//! the step every way of sending a batch shares (`batch run` sends the
//! body with `InvokeModel`; a job on Bedrock would take it as a record's
//! `modelInput`).
//!
//! Invariant: what the model cannot take (by the plugin's capabilities) is
//! refused before the plugin is called, and each record is built in a
//! sandbox of its own, so no record sees another's state.

use super::record::Record;
use crate::model_id::ModelId;
use crate::plugin::{Body, LoadedPlugin, PluginError, Request, Sandbox, Subject};

/// Why a record's body could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The model cannot take what the record asks for.
    #[error("{0}")]
    Unsupported(String),
    /// No sandbox could be made for the plugin (it does not load): no
    /// record can be built.
    #[error(transparent)]
    Sandbox(PluginError),
    /// The plugin refused, trapped or broke a limit on this record.
    #[error(transparent)]
    Plugin(PluginError),
}

/// The request `record` makes of `model`, and the sandbox that built its
/// body (to parse the answer in).
pub async fn build(
    plugin: &LoadedPlugin,
    model: &ModelId,
    record: &Record,
) -> Result<(Sandbox, Body), BodyError> {
    let request = checked_request(plugin, model, record)?;
    let mut sandbox = plugin.sandbox().await.map_err(BodyError::Sandbox)?;
    let body = sandbox
        .build_request(&request)
        .await
        .map_err(BodyError::Plugin)?;
    Ok((sandbox, body))
}

/// The contract's request for `record`, checked against what the plugin
/// says the model takes.
fn checked_request(
    plugin: &LoadedPlugin,
    model: &ModelId,
    record: &Record,
) -> Result<Request, BodyError> {
    let request = record.ask.request(model.base());
    if let Some(capabilities) = plugin.capabilities(model.base()) {
        let subject = Subject {
            model: model.as_given(),
            plugin: plugin.name(),
            capabilities,
        };
        subject
            .check_request(&request)
            .map_err(|refusal| BodyError::Unsupported(refusal.to_string()))?;
    }
    Ok(request)
}

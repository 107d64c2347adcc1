//! The schemas worker behind the Schemas tab: each [`SchemaRequest`] runs on
//! a blocking thread (the registry's HTTP client blocks) through the
//! functions `eventdeck schemas` calls ([`crate::schemas`]), and its
//! [`SchemaReply`] comes back over the worker channel. A registry that is
//! down is an error in the reply, never a stalled console.

use tokio::sync::mpsc;

use crate::config::Settings;
use crate::schema_registry::RegistryClient;
use crate::tui::event::{OpenedSchema, SchemaReply, SchemaRequest, WorkerMsg};
use crate::tui::strings;

/// Runs one request and sends its reply.
pub async fn run(settings: Settings, req: SchemaRequest, tx: mpsc::Sender<WorkerMsg>) {
    let reply = answer(&settings, req).await;
    let _ = tx.send(WorkerMsg::Schemas(Box::new(reply))).await;
}

/// The reply to one request.
pub async fn answer(settings: &Settings, req: SchemaRequest) -> SchemaReply {
    let client = match RegistryClient::new(&settings.schema_registry) {
        Ok(Some(client)) => Ok(client),
        Ok(None) => Err(strings::SCHEMAS_NOT_CONFIGURED.to_string()),
        Err(e) => Err(e),
    };
    // The topics named after each subject: the cluster's metadata, asked
    // first (a cluster that cannot be read leaves them unknown).
    let topics = match &req {
        SchemaRequest::List => crate::kafka::client::check_reachable(settings, None)
            .await
            .ok()
            .map(|info| info.topics.into_iter().map(|(t, _)| t).collect::<Vec<_>>()),
        _ => None,
    };
    let failed = |e: String| match &req {
        SchemaRequest::List => SchemaReply::Subjects(Err(e)),
        SchemaRequest::Open { subject, .. } => SchemaReply::Opened {
            subject: subject.clone(),
            result: Err(e),
        },
        SchemaRequest::Resolve(_) => SchemaReply::Resolved(Vec::new()),
    };
    let client = match client {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let work = req.clone();
    let done = crate::task_name::spawn_blocking(move || blocking(&client, work, topics)).await;
    done.unwrap_or_else(|e| failed(e.to_string()))
}

fn blocking(
    client: &RegistryClient,
    req: SchemaRequest,
    topics: Option<Vec<String>>,
) -> SchemaReply {
    match req {
        SchemaRequest::List => {
            SchemaReply::Subjects(crate::schemas::list(client, topics.as_deref()))
        }
        SchemaRequest::Open { subject, version } => {
            let result = crate::schemas::show(client, &subject, version).and_then(|view| {
                let previous = match view.previous() {
                    Some(v) => Some(crate::schemas::show(client, &subject, Some(v))?),
                    None => None,
                };
                Ok(Box::new(OpenedSchema { view, previous }))
            });
            SchemaReply::Opened { subject, result }
        }
        SchemaRequest::Resolve(ids) => SchemaReply::Resolved(
            ids.into_iter()
                .filter_map(|id| client.subjects_of(id).ok().map(|s| (id, s)))
                .collect(),
        ),
    }
}

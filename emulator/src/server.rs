//! Starting and stopping the emulator: binds the listener, assembles the routes (the Bedrock
//! runtime and control-plane operations behind authentication, STS `AssumeRole` at `POST /`,
//! the test controls when configured, a request id on every response) and runs them on the caller's tokio runtime. Invariant: a [`RunningEmulator`] owns
//! its server task, which stops when the handle is shut down or dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api_error::ApiError;
use crate::arrivals::{ArrivalLog, record_arrival};
use crate::auth::{AcceptedCredentials, SessionStore, require_authentication};
use crate::behaviour::{Behaviour, BehaviourCell, InvalidBehaviour};
use crate::config::EmulatorConfig;
use crate::control;
use crate::error::EmulatorError;
use crate::foundation_models::list_foundation_models;
use crate::inference_profiles::{
    application_profile_arn, get_inference_profile, list_inference_profiles,
};
use crate::invoke::{invoke_model, invoke_model_with_response_stream};
use crate::providers::prompt_cache::PromptCache;
use crate::sts::security_token_service;

/// The response header carrying a fresh request id.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");

/// How long [`RunningEmulator::shutdown`] lets open responses finish before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What every request handler can see.
#[derive(Debug)]
pub(crate) struct AppState {
    /// Live fault-injection settings.
    pub behaviour: BehaviourCell,
    /// The region the emulator answers for, named in the ARNs it hands out.
    pub region: String,
    /// Who may call, including the temporary credentials STS has issued.
    pub credentials: Arc<AcceptedCredentials>,
    /// When Bedrock requests arrived, for start-up benchmarks.
    pub arrivals: ArrivalLog,
    /// The prompt prefixes cache points have written.
    pub prompt_cache: PromptCache,
}

/// Starts emulators. See [`Emulator::start`].
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// Binds `addr` (port 0 picks a free port) and serves Bedrock there on the current tokio
    /// runtime until the returned handle is shut down or dropped.
    pub async fn start(
        config: EmulatorConfig,
        addr: SocketAddr,
    ) -> Result<RunningEmulator, EmulatorError> {
        config.behaviour.validate()?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| EmulatorError::Bind { addr, source })?;
        let local_addr = listener.local_addr().map_err(EmulatorError::LocalAddr)?;

        let test_controls = config.test_controls;
        let state = app_state(config);
        let credentials = Arc::clone(&state.credentials);
        let app = routes(Arc::clone(&state), test_controls);

        let (shutdown_sender, shutdown_receiver) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let stopped = async {
                // A dropped sender also means "stop".
                let _ = shutdown_receiver.await;
            };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::error!(%error, "the local Bedrock server failed");
            }
        });
        tracing::info!(%local_addr, "local Bedrock listening");
        Ok(RunningEmulator {
            local_addr,
            credentials,
            state,
            shutdown_sender: Some(shutdown_sender),
            server: Some(server),
        })
    }

    /// The emulator's routes without a listener, to drive in process (a
    /// `tower::Service` of `http::Request`s); each call builds fresh state.
    pub fn router(config: EmulatorConfig) -> Result<Router, EmulatorError> {
        config.behaviour.validate()?;
        let test_controls = config.test_controls;
        Ok(routes(app_state(config), test_controls))
    }
}

/// The shared state for `config`.
fn app_state(config: EmulatorConfig) -> Arc<AppState> {
    let credentials = Arc::new(AcceptedCredentials {
        access_key_id: config.access_key_id,
        secret_access_key: config.secret_access_key,
        bearer_token: config.bearer_token,
        region: config.region.clone(),
        sessions: SessionStore::default(),
    });
    Arc::new(AppState {
        behaviour: BehaviourCell::new(config.behaviour),
        region: config.region,
        credentials,
        arrivals: ArrivalLog::default(),
        prompt_cache: PromptCache::default(),
    })
}

fn routes(state: Arc<AppState>, test_controls: bool) -> Router {
    let bedrock = Router::new()
        .route("/model/{model_id}/invoke", post(invoke_model))
        .route(
            "/model/{model_id}/invoke-with-response-stream",
            post(invoke_model_with_response_stream),
        )
        .route("/foundation-models", get(list_foundation_models))
        .route("/inference-profiles", get(list_inference_profiles))
        .route(
            "/inference-profiles/{inference_profile_identifier}",
            get(get_inference_profile),
        )
        .fallback(unknown_operation)
        .method_not_allowed_fallback(unknown_operation)
        // The authentication layer has already read the body, within Bedrock's limit.
        .layer(DefaultBodyLimit::disable())
        .layer(from_fn_with_state(
            Arc::clone(&state.credentials),
            require_authentication,
        ))
        .layer(from_fn_with_state(Arc::clone(&state), record_arrival));
    Router::new()
        .merge(control::routes(test_controls))
        // STS authenticates (for service `sts`) and answers errors in its own XML format.
        .route("/", post(security_token_service))
        .merge(bedrock)
        .layer(map_response(add_request_id))
        .with_state(state)
}

/// Any path or method the emulator does not serve (message as Bedrock sends it for an
/// operation it does not recognise).
async fn unknown_operation() -> Response {
    ApiError::validation("The requested operation is not recognized by the service.")
        .into_response()
}

/// Adds a fresh request id unless the handler set one (STS repeats its id in the body).
async fn add_request_id(mut response: Response) -> Response {
    if !response.headers().contains_key(REQUEST_ID)
        && let Ok(request_id) = HeaderValue::try_from(uuid::Uuid::new_v4().to_string())
    {
        response.headers_mut().insert(REQUEST_ID, request_id);
    }
    response
}

/// A running emulator. Dropping it stops the server (in the background); [`Self::shutdown`]
/// stops it and waits.
pub struct RunningEmulator {
    local_addr: SocketAddr,
    credentials: Arc<AcceptedCredentials>,
    state: Arc<AppState>,
    shutdown_sender: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("endpoint", &self.endpoint())
            .field("access_key_id", &self.access_key_id())
            .field("region", &self.region())
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// The base URL to give an SDK as its endpoint, e.g. `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// The address the server is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The access key id requests must be signed with.
    pub fn access_key_id(&self) -> &str {
        &self.credentials.access_key_id
    }

    /// The secret access key requests must be signed with.
    pub fn secret_access_key(&self) -> &str {
        &self.credentials.secret_access_key
    }

    /// The region requests must be signed for.
    pub fn region(&self) -> &str {
        &self.credentials.region
    }

    /// The bearer token (Bedrock API key) accepted as `Authorization: Bearer ...`, if any.
    pub fn bearer_token(&self) -> Option<&str> {
        self.credentials.bearer_token.as_deref()
    }

    /// The environment variables that point the AWS SDKs and CLI at this emulator, in the
    /// order to print them: the service-specific endpoint URLs of bedrock-runtime, the Bedrock
    /// control plane and STS, the long-term key pair, the region, and
    /// `AWS_BEARER_TOKEN_BEDROCK` when a bearer token is configured (with it set, the Bedrock
    /// SDKs that support API keys send `Authorization: Bearer` instead of signing).
    pub fn client_environment(&self) -> Vec<(&'static str, String)> {
        let endpoint = self.endpoint();
        let mut variables = vec![
            ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", endpoint.clone()),
            ("AWS_ENDPOINT_URL_BEDROCK", endpoint.clone()),
            ("AWS_ENDPOINT_URL_STS", endpoint),
            ("AWS_ACCESS_KEY_ID", self.access_key_id().to_owned()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key().to_owned()),
            ("AWS_REGION", self.region().to_owned()),
        ];
        if let Some(token) = self.bearer_token() {
            variables.push(("AWS_BEARER_TOKEN_BEDROCK", token.to_owned()));
        }
        variables
    }

    /// The ARN of the pre-made application inference profile (Claude Sonnet 4.5) in this
    /// emulator's region; [`crate::APPLICATION_INFERENCE_PROFILE_ARN`] in the default region.
    pub fn application_inference_profile_arn(&self) -> String {
        application_profile_arn(self.region())
    }

    /// The fault-injection behaviour in force now.
    pub fn behaviour(&self) -> Behaviour {
        self.state.behaviour.current()
    }

    /// Replaces the fault-injection behaviour, like `POST /_emulator/behaviour`.
    pub fn set_behaviour(&self, behaviour: Behaviour) -> Result<(), InvalidBehaviour> {
        self.state.behaviour.replace(behaviour)
    }

    /// Stops accepting requests and waits for open responses to finish, cutting any still
    /// running after a few seconds.
    pub async fn shutdown(mut self) {
        if let Some(sender) = self.shutdown_sender.take() {
            let _ = sender.send(());
        }
        if let Some(mut server) = self.server.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut server)
                .await
                .is_err()
        {
            server.abort();
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(sender) = self.shutdown_sender.take() {
            let _ = sender.send(());
        }
    }
}

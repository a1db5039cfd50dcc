//! The suite as a fuzzing server: it tests WebSocket *clients*, speaking wstest's
//! fuzzingserver URLs unchanged (AUTOBAHN-CATALOG.md §6), so existing client harnesses
//! work as they are:
//!
//! - `/getCaseCount` — one text message, the number of cases served; then a close.
//! - `/runCase?case=N&agent=A` (or `casetuple=ID`) — runs the N-th served case (1-based)
//!   on this connection, the client echoing; the result is kept under agent A.
//! - `/updateReports?agent=A[&shutdownOnComplete=true]` — writes the report directory
//!   (every agent), then closes; optionally stops the server.
//! - `/getCaseInfo?case=N` — `{"id": …, "description": …}`; then a close.
//! - `/getCaseStatus?case=N&agent=A` — `{"behavior": …}` once agent A has a result for
//!   case N; then a close.
//! - `/stopServer` — stops the server.
//!
//! Unlike wstest, clients may run at once: every connection is its own case run (or
//! request), and results are kept per agent. A request wstest would refuse with a 500
//! (no agent, a case out of range, a repeated parameter) is refused with a 400 naming
//! the problem; an unknown path with a 404 (wstest's "direct command mode" is not
//! offered).
//!
//! Nothing waits without a deadline: the request head has the open timeout, each case
//! its time limit, a control connection the close timeout, a status request
//! [`STATUS_WAIT`]. At most [`MAX_CONNECTIONS`] connections are served at once (more are
//! closed at once), and at most [`MAX_AGENTS`] agents are kept.

pub mod handshake;
pub mod http;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinSet;
use wsspec_codec::decode::{FrameDecoder, FrameEvent};
use wsspec_codec::frame::{FrameHeader, Opcode, Role};
use wsspec_codec::handshake::accept_key;
use wsspec_reports::{
    case_report_file_name, render_report, write_run, AgentRun, CaseId, CaseResult, Format,
    Incomplete, Policy, RenderOptions, Run, RunKind, RunReport,
};

use crate::catalog::{Case, CasePattern, PatternError};
use crate::runner::fuzzer::Stream;
use crate::runner::messages::MessageCache;
use crate::runner::{self, CaseRun, Opening, Settings};
use handshake::HandshakeCase;
use http::{answer_and_close, invalid_handshake, read_opening, refusal, ReadError, Target};

/// Connections served at once; more are closed as soon as they are accepted.
pub const MAX_CONNECTIONS: usize = 256;

/// Agents whose results are kept; a `/runCase` for one more is refused.
pub const MAX_AGENTS: usize = 64;

/// The longest agent name accepted.
pub const MAX_AGENT_LEN: usize = 200;

/// How long `/getCaseStatus` waits for a result before closing without one.
pub const STATUS_WAIT: Duration = Duration::from_secs(1200);

/// The most octets read from a control connection after its answer.
const MAX_CONTROL_READ: usize = 1 << 20;

/// One case the server offers.
#[derive(Debug, Clone, Copy)]
pub enum ServedCase {
    /// A catalog case, run by the role-generic fuzzer.
    Catalog(&'static Case),
    /// A case of section 101: the client's opening handshake answered wrongly.
    Handshake(&'static HandshakeCase),
}

impl ServedCase {
    /// The case id.
    pub fn id(&self) -> CaseId {
        match self {
            ServedCase::Catalog(case) => case.id.clone(),
            ServedCase::Handshake(case) => case.case_id(),
        }
    }

    /// The description, as wstest's `/getCaseInfo` gives it: the text before the first
    /// HTML tag, whitespace collapsed.
    pub fn pretty_description(&self) -> String {
        let description = match self {
            ServedCase::Catalog(case) => case.description.as_str(),
            ServedCase::Handshake(case) => case.description,
        };
        let before_tag = description.split('<').next().unwrap_or("");
        before_tag.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// The cases of `cases` selected by `include` (all when empty) minus those selected by
/// `exclude`, in order, with wstest's patterns ([`CasePattern`]); every pattern must
/// select at least one case.
pub fn select(
    cases: &[ServedCase],
    include: &[CasePattern],
    exclude: &[CasePattern],
) -> Result<Vec<ServedCase>, PatternError> {
    let ids: Vec<CaseId> = cases.iter().map(ServedCase::id).collect();
    for pattern in include.iter().chain(exclude) {
        if pattern.as_str().is_empty() {
            return Err(PatternError::Empty);
        }
        if !ids.iter().any(|id| pattern.matches(id.as_str())) {
            return Err(if pattern.as_str().contains('*') {
                PatternError::NoMatch(pattern.as_str().to_owned())
            } else {
                PatternError::UnknownCase(pattern.as_str().to_owned())
            });
        }
    }
    Ok(cases
        .iter()
        .zip(&ids)
        .filter(|(_, id)| {
            (include.is_empty() || include.iter().any(|p| p.matches(id.as_str())))
                && !exclude.iter().any(|p| p.matches(id.as_str()))
        })
        .map(|(case, _)| *case)
        .collect())
}

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The cases served, `/runCase?case=1` being the first.
    pub cases: Vec<ServedCase>,
    /// Timeouts and limits of each connection.
    pub settings: Settings,
    /// The report directory.
    pub out: PathBuf,
    /// The policy of the report's `index.html`.
    pub policy: Policy,
    /// Stop once `/updateReports` has written the reports of this many agents.
    pub exit_after_reports: Option<usize>,
}

/// Something the server did, for progress output.
#[derive(Debug)]
pub enum ServeEvent<'a> {
    /// A case ended for an agent.
    CaseDone {
        /// The agent.
        agent: &'a str,
        /// The result.
        run: &'a CaseRun,
    },
    /// The report directory was written, with these agents.
    ReportsWritten {
        /// The agents in it.
        agents: Vec<String>,
    },
    /// Writing the report directory failed.
    ReportFailed {
        /// Why.
        error: String,
    },
    /// A request was refused.
    Refused {
        /// The request target.
        target: &'a str,
        /// Why.
        reason: &'a str,
    },
}

/// Told about what the server does.
pub type Observer = Arc<dyn Fn(&ServeEvent<'_>) + Send + Sync>;

/// Why the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The reports of the expected number of agents were written.
    ReportsWritten,
    /// A client asked (`/stopServer`, `shutdownOnComplete`).
    Requested,
    /// Interrupted (Ctrl-C, or the caller's stop signal).
    Interrupted,
}

/// What a serve session leaves behind.
#[derive(Debug)]
pub struct Served {
    /// Every agent's completed cases, in served order.
    pub agents: BTreeMap<String, Vec<CaseRun>>,
    /// Why it stopped.
    pub stop: Stop,
    /// The last report directory write failed with this, if it did.
    pub report_error: Option<String>,
}

impl Served {
    /// The results as a report model (every agent).
    pub fn to_run(&self, label: &str) -> Run {
        to_run(&self.agents, label)
    }
}

fn to_run(agents: &BTreeMap<String, Vec<CaseRun>>, label: &str) -> Run {
    Run {
        label: label.to_owned(),
        kind: RunKind::Results,
        agents: agents
            .iter()
            .map(|(agent, runs)| (agent.clone(), agent_run(agent, runs)))
            .collect(),
    }
}

/// Marks every agent that ran fewer than the `served` cases as an incomplete run
/// (`wsspecIncomplete` in `index.json`): the session was interrupted. An agent that ran
/// every case is complete whatever happened afterwards.
fn mark_incomplete(run: &mut Run, served: usize) {
    for agent in run.agents.values_mut() {
        if agent.cases.len() < served {
            agent.incomplete = Some(Incomplete { selected: served });
        }
    }
}

/// One agent's cases as a report model, each detail carrying the agent's name.
fn agent_run(agent: &str, runs: &[CaseRun]) -> AgentRun {
    let cases = runs
        .iter()
        .map(|run| {
            let mut detail = run.detail.clone();
            detail.agent = agent.to_owned();
            let id = CaseId::new(detail.id.clone());
            let result = CaseResult {
                behavior: detail.behavior.clone(),
                behavior_close: detail.behavior_close.clone(),
                duration_ms: detail.duration,
                remote_close_code: detail.remote_close_code,
                report_file: Some(case_report_file_name(agent, &id)),
                accept: Vec::new(),
                detail: Some(Box::new(detail)),
            };
            (id, result)
        })
        .collect();
    AgentRun {
        agent: agent.to_owned(),
        cases,
        ..AgentRun::default()
    }
}

/// Writes the report directory: wstest's layout (index.json, one JSON per agent and
/// case) plus a self-contained `index.html`.
pub fn write_report(dir: &Path, run: &Run, policy: Policy) -> Result<(), String> {
    write_run(dir, run)
        .map_err(|e| format!("cannot write the report to {}: {e}", dir.display()))?;
    let report = RunReport::new(run, None, policy).map_err(|e| e.to_string())?;
    let html = render_report(&report, Format::Html, RenderOptions { color: false });
    let path = dir.join("index.html");
    std::fs::write(&path, html).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The results so far: agent → served index → run.
type Results = BTreeMap<String, BTreeMap<usize, CaseRun>>;

struct Shared {
    options: ServeOptions,
    cache: MessageCache,
    results: Mutex<Results>,
    /// A result arrived.
    changed: Notify,
    /// Agents whose `/updateReports` was written.
    reported: Mutex<BTreeSet<String>>,
    /// Results changed since the report directory was last written.
    dirty: Mutex<bool>,
    /// One report write at a time.
    writing: tokio::sync::Mutex<Option<String>>,
    stop: watch::Sender<Option<Stop>>,
    observer: Observer,
    /// The session was interrupted: every agent that had not run every case served gets
    /// its run marked incomplete in the report.
    interrupted: AtomicBool,
}

/// Locks `mutex`; a panic elsewhere while it was held leaves data that is still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn request_stop(&self, why: Stop) {
        self.stop.send_if_modified(|stop| {
            if stop.is_none() {
                *stop = Some(why);
                true
            } else {
                false
            }
        });
    }

    fn record(&self, agent: &str, index: usize, mut run: CaseRun) {
        run.detail.agent = agent.to_owned();
        (self.observer)(&ServeEvent::CaseDone { agent, run: &run });
        lock(&self.results)
            .entry(agent.to_owned())
            .or_default()
            .insert(index, run);
        *lock(&self.dirty) = true;
        self.changed.notify_waiters();
    }

    fn behavior_of(&self, agent: &str, index: usize) -> Option<String> {
        lock(&self.results)
            .get(agent)
            .and_then(|runs| runs.get(&index))
            .map(|run| run.detail.behavior.as_str().to_owned())
    }

    /// Waits until `agent` has a result for case `index`.
    async fn wait_for_result(&self, agent: &str, index: usize) -> String {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(behavior) = self.behavior_of(agent, index) {
                return behavior;
            }
            notified.await;
        }
    }

    fn snapshot(&self) -> BTreeMap<String, Vec<CaseRun>> {
        lock(&self.results)
            .iter()
            .map(|(agent, runs)| (agent.clone(), runs.values().cloned().collect()))
            .collect()
    }

    /// Writes the report directory with every agent's results so far; the error, if any,
    /// is also kept for the end of the session.
    async fn write_reports(&self) -> Result<Vec<String>, String> {
        let mut last_error = self.writing.lock().await;
        *lock(&self.dirty) = false;
        let agents = self.snapshot();
        let names: Vec<String> = agents.keys().cloned().collect();
        let dir = self.options.out.clone();
        let policy = self.options.policy;
        let label = dir.display().to_string();
        let served = self.options.cases.len();
        let interrupted = self.interrupted.load(Ordering::Relaxed);
        let written = tokio::task::spawn_blocking(move || {
            let mut run = to_run(&agents, &label);
            if interrupted {
                mark_incomplete(&mut run, served);
            }
            write_report(&dir, &run, policy)
        })
        .await
        .unwrap_or_else(|e| Err(format!("writing the report failed: {e}")));
        match &written {
            Ok(()) => {
                *last_error = None;
                (self.observer)(&ServeEvent::ReportsWritten {
                    agents: names.clone(),
                });
            }
            Err(e) => {
                *last_error = Some(e.clone());
                *lock(&self.dirty) = true;
                (self.observer)(&ServeEvent::ReportFailed { error: e.clone() });
            }
        }
        written.map(|()| names)
    }
}

/// Serves the cases of `options` on `listener` until the expected reports are written, a
/// client stops the server, or `interrupt` turns true; then writes the report directory
/// once more with whatever completed (unless nothing did, or nothing changed since the
/// last write) and returns the results.
pub async fn serve(
    listener: TcpListener,
    options: ServeOptions,
    observer: Observer,
    mut interrupt: watch::Receiver<bool>,
) -> Served {
    let (stop_tx, mut stop_rx) = watch::channel(None);
    let shared = Arc::new(Shared {
        options,
        cache: MessageCache::new(),
        results: Mutex::new(BTreeMap::new()),
        changed: Notify::new(),
        reported: Mutex::new(BTreeSet::new()),
        dirty: Mutex::new(false),
        writing: tokio::sync::Mutex::new(None),
        stop: stop_tx,
        observer,
        interrupted: AtomicBool::new(false),
    });
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut tasks = JoinSet::new();
    let mut interruptible = true;
    let stop = loop {
        if let Some(stop) = *stop_rx.borrow_and_update() {
            break stop;
        }
        if interruptible && *interrupt.borrow_and_update() {
            break Stop::Interrupted;
        }
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => match Arc::clone(&permits).try_acquire_owned() {
                    Ok(permit) => {
                        let shared = Arc::clone(&shared);
                        tasks.spawn(async move {
                            accept(stream, &shared).await;
                            drop(permit);
                        });
                    }
                    // Too many at once: closed unanswered, which costs nothing.
                    Err(_) => drop(stream),
                },
                // Out of file descriptors and the like: let connections end first.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            _ = stop_rx.changed() => {}
            changed = interrupt.changed(), if interruptible => {
                // The caller dropped its sender: nothing can interrupt any more.
                interruptible = changed.is_ok();
            }
        }
    };
    drop(listener);
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    let has_results = !lock(&shared.results).is_empty();
    if stop == Stop::Interrupted {
        shared.interrupted.store(true, Ordering::Relaxed);
    }
    // An interrupted session writes once more even if nothing changed, for the mark.
    if has_results && (*lock(&shared.dirty) || stop == Stop::Interrupted) {
        let _ = shared.write_reports().await;
    }
    let report_error = shared.writing.lock().await.clone();
    Served {
        agents: shared.snapshot(),
        stop,
        report_error,
    }
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Run the case at this 1-based index for the agent.
    RunCase {
        /// The case.
        index: usize,
        /// The agent.
        agent: String,
    },
    /// Write the reports; stop the server afterwards if `shutdown`.
    UpdateReports {
        /// The agent asking.
        agent: String,
        /// `shutdownOnComplete=true|yes`.
        shutdown: bool,
    },
    /// The number of cases.
    CaseCount,
    /// A case's id and description.
    CaseInfo(usize),
    /// The agent's verdict on a case, once there is one.
    CaseStatus {
        /// The case.
        index: usize,
        /// The agent.
        agent: String,
    },
    /// Stop the server.
    StopServer,
}

/// Reads a request target as wstest's fuzzing server does (its `onConnect`): the case
/// from `case=N` or `casetuple=ID`, the agent, and the path. `Err` is the status and
/// reason of the refusal.
pub fn route(target: &str, cases: &[ServedCase]) -> Result<Route, (u16, String)> {
    let bad = |reason: String| (400, reason);
    let target = Target::parse(target).map_err(bad)?;
    let agent = target.param("agent").map_err(bad)?.map(str::to_owned);
    if let Some(agent) = &agent {
        if agent.chars().count() > MAX_AGENT_LEN {
            return Err(bad(format!(
                "agent name longer than {MAX_AGENT_LEN} characters"
            )));
        }
    }
    let mut index = None;
    if let Some(id) = target.param("casetuple").map_err(bad)? {
        let id = id.trim();
        let at = cases
            .iter()
            .position(|c| c.id().as_str() == id)
            .ok_or_else(|| bad(format!("invalid test case tuple {id}")))?;
        index = Some(at + 1);
    }
    if let Some(n) = target.param("case").map_err(bad)? {
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| bad(format!("invalid test case ID {n}")))?;
        if n == 0 || n > cases.len() {
            return Err(bad(format!(
                "case {n} not found (cases are 1 to {})",
                cases.len()
            )));
        }
        index = Some(n);
    }
    let need_case = |what: &str| index.ok_or_else(|| bad(format!("need case to {what}")));
    let need_agent = |what: &str| {
        agent
            .clone()
            .ok_or_else(|| bad(format!("need agent to {what}")))
    };
    match target.path.as_str() {
        "/runCase" => Ok(Route::RunCase {
            index: need_case("run")?,
            agent: need_agent("run case")?,
        }),
        "/updateReports" => {
            let shutdown = match target.param("shutdownOnComplete").map_err(bad)? {
                Some(v) => matches!(v.to_ascii_lowercase().as_str(), "true" | "yes"),
                None => false,
            };
            Ok(Route::UpdateReports {
                agent: need_agent("update reports for")?,
                shutdown,
            })
        }
        "/getCaseCount" => Ok(Route::CaseCount),
        "/getCaseInfo" => Ok(Route::CaseInfo(need_case("get info")?)),
        "/getCaseStatus" => Ok(Route::CaseStatus {
            index: need_case("get status")?,
            agent: need_agent("get status")?,
        }),
        "/stopServer" => Ok(Route::StopServer),
        other => Err((
            404,
            format!(
                "no such resource {other:?}: wsspec serve answers /getCaseCount, /runCase, \
                 /updateReports, /getCaseInfo, /getCaseStatus and /stopServer"
            ),
        )),
    }
}

/// A JSON string as Python's `json.dumps` writes it (non-ASCII escaped).
fn python_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `/getCaseInfo` answer, as wstest writes it.
pub fn case_info_json(case: &ServedCase) -> String {
    format!(
        "{{\"id\": {}, \"description\": {}}}",
        python_json_string(case.id().as_str()),
        python_json_string(&case.pretty_description())
    )
}

/// The `/getCaseStatus` answer, as wstest writes it.
pub fn case_status_json(behavior: &str) -> String {
    format!("{{\"behavior\": {}}}", python_json_string(behavior))
}

/// Serves one connection: over TLS first when the settings carry a certificate (the
/// handshake within the open timeout; a client that fails it is dropped).
async fn accept(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let settings = &shared.options.settings;
    match &settings.tls_server {
        None => handle(stream, shared).await,
        Some(tls) => {
            if let Ok(Ok(stream)) =
                tokio::time::timeout(settings.open_timeout, tls.accept(stream)).await
            {
                handle(stream, shared).await;
            }
        }
    }
}

async fn handle<S: Stream>(mut stream: S, shared: &Shared) {
    let settings = &shared.options.settings;
    let opening = match read_opening(&mut stream, &settings.limits, settings.open_timeout).await {
        Ok(opening) => opening,
        Err(ReadError::Gone) => return,
        Err(ReadError::Invalid(e)) => {
            let answer = invalid_handshake(&e);
            answer_and_close(&mut stream, &answer, settings.close_timeout).await;
            return;
        }
    };
    let cases = &shared.options.cases;
    let refuse = |status: u16, reason: String| {
        (shared.observer)(&ServeEvent::Refused {
            target: &opening.request.path,
            reason: &reason,
        });
        refusal(status, &reason)
    };
    let route = match route(&opening.request.path, cases) {
        Ok(route) => route,
        Err((status, reason)) => {
            let answer = refuse(status, reason);
            answer_and_close(&mut stream, &answer, settings.close_timeout).await;
            return;
        }
    };
    match route {
        Route::RunCase { index, agent } => {
            let known = lock(&shared.results).contains_key(&agent);
            if !known && lock(&shared.results).len() >= MAX_AGENTS {
                let answer = refuse(503, format!("more than {MAX_AGENTS} agents"));
                answer_and_close(&mut stream, &answer, settings.close_timeout).await;
                return;
            }
            let run = match cases[index - 1] {
                ServedCase::Catalog(case) => {
                    let mut run =
                        runner::serve_case(stream, opening, case, index, settings, &shared.cache)
                            .await;
                    // wsspec's own sections: the rule, and expected/actual when not OK.
                    runner::wsspec::annotate(case, &mut run);
                    run
                }
                ServedCase::Handshake(case) => {
                    handshake::run_case(stream, opening, case, index, settings).await
                }
            };
            shared.record(&agent, index, run);
        }
        Route::UpdateReports { agent, shutdown } => {
            if answer_open(&mut stream, &opening, settings).await {
                let _ = shared.write_reports().await;
                close_control(&mut stream, &opening, None, settings).await;
            }
            let reported = {
                let mut reported = lock(&shared.reported);
                reported.insert(agent);
                reported.len()
            };
            if shutdown {
                shared.request_stop(Stop::Requested);
            } else if shared
                .options
                .exit_after_reports
                .is_some_and(|n| reported >= n)
            {
                shared.request_stop(Stop::ReportsWritten);
            }
        }
        Route::CaseCount => {
            if answer_open(&mut stream, &opening, settings).await {
                let count = cases.len().to_string();
                close_control(&mut stream, &opening, Some(&count), settings).await;
            }
        }
        Route::CaseInfo(index) => {
            if answer_open(&mut stream, &opening, settings).await {
                let info = case_info_json(&cases[index - 1]);
                close_control(&mut stream, &opening, Some(&info), settings).await;
            }
        }
        Route::CaseStatus { index, agent } => {
            if answer_open(&mut stream, &opening, settings).await {
                let behavior = {
                    let wait = shared.wait_for_result(&agent, index);
                    let gone = client_gone(&mut stream);
                    tokio::select! {
                        behavior = wait => Some(behavior),
                        () = gone => None,
                        () = tokio::time::sleep(STATUS_WAIT) => None,
                    }
                };
                let status = behavior.map(|b| case_status_json(&b));
                close_control(&mut stream, &opening, status.as_deref(), settings).await;
            }
        }
        Route::StopServer => {
            if answer_open(&mut stream, &opening, settings).await {
                close_control(&mut stream, &opening, None, settings).await;
            }
            shared.request_stop(Stop::Requested);
        }
    }
}

/// Answers a control request's handshake (no extension, no subprotocol, as wstest's
/// factory defaults); false if the client is gone.
async fn answer_open<S: Stream>(stream: &mut S, opening: &Opening, settings: &Settings) -> bool {
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nServer: {}\r\nUpgrade: WebSocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        settings.user_agent,
        accept_key(&opening.request.key)
    );
    matches!(
        tokio::time::timeout(settings.open_timeout, stream.write_all(answer.as_bytes())).await,
        Ok(Ok(()))
    )
}

/// An unmasked frame.
fn server_frame(opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(payload.len() + 10);
    FrameHeader {
        fin: true,
        rsv: 0,
        opcode,
        mask: None,
        payload_len: payload.len() as u64,
    }
    .encode(&mut bytes);
    bytes.extend_from_slice(payload);
    bytes
}

/// Ends a control connection as wstest does: the message (if any) and a close with
/// 1000; then the client has the close timeout to answer before TCP is dropped.
async fn close_control<S: Stream>(
    stream: &mut S,
    opening: &Opening,
    message: Option<&str>,
    settings: &Settings,
) {
    let mut out = Vec::new();
    if let Some(text) = message {
        out.extend(server_frame(Opcode::Text, text.as_bytes()));
    }
    out.extend(server_frame(Opcode::Close, &1000u16.to_be_bytes()));
    let written = tokio::time::timeout(settings.close_timeout, stream.write_all(&out)).await;
    if matches!(written, Ok(Ok(()))) {
        let _ = tokio::time::timeout(
            settings.close_timeout,
            read_until_close(stream, &opening.rest),
        )
        .await;
    }
    let _ = tokio::time::timeout(Duration::from_millis(100), stream.shutdown()).await;
}

/// Reads (and drops) what the client sends until its close frame, the end of TCP, a
/// frame error, or [`MAX_CONTROL_READ`] octets.
async fn read_until_close<S: Stream>(stream: &mut S, rest: &[u8]) {
    let mut decoder = FrameDecoder::new(Role::Server, wsspec_codec::Limits::default());
    let mut buf = vec![0u8; 4096];
    let mut pending = rest.to_vec();
    let mut total = 0;
    loop {
        let mut data = pending.as_slice();
        loop {
            match decoder.next_event(&mut data) {
                Ok(Some(FrameEvent::End(header))) if header.opcode == Opcode::Close => return,
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
        pending.clear();
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                total += n;
                if total > MAX_CONTROL_READ {
                    return;
                }
                pending.extend_from_slice(&buf[..n]);
            }
        }
    }
}

/// Completes when the client closes TCP or sends a close frame.
async fn client_gone<S: Stream>(stream: &mut S) {
    read_until_close(stream, &[]).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    fn served() -> Vec<ServedCase> {
        let mut cases: Vec<ServedCase> = catalog::autobahn()
            .iter()
            .take(3)
            .map(ServedCase::Catalog)
            .collect();
        cases.push(ServedCase::Handshake(&handshake::CASES[0]));
        cases
    }

    #[test]
    fn routes_follow_wstests_urls() {
        let cases = served();
        assert_eq!(route("/getCaseCount", &cases), Ok(Route::CaseCount));
        assert_eq!(
            route("/runCase?case=2&agent=My%20Client", &cases),
            Ok(Route::RunCase {
                index: 2,
                agent: "My Client".to_owned()
            })
        );
        assert_eq!(
            route("/runCase?casetuple=101.1.1&agent=a", &cases),
            Ok(Route::RunCase {
                index: 4,
                agent: "a".to_owned()
            })
        );
        assert_eq!(
            route("/updateReports?agent=a&shutdownOnComplete=YES", &cases),
            Ok(Route::UpdateReports {
                agent: "a".to_owned(),
                shutdown: true
            })
        );
        assert_eq!(route("/getCaseInfo?case=1", &cases), Ok(Route::CaseInfo(1)));
        assert_eq!(
            route("/getCaseStatus?case=1&agent=a", &cases),
            Ok(Route::CaseStatus {
                index: 1,
                agent: "a".to_owned()
            })
        );
        assert_eq!(route("/stopServer", &cases), Ok(Route::StopServer));
    }

    #[test]
    fn requests_wstest_refuses_are_refused_with_the_reason() {
        let cases = served();
        let status = |t: &str| route(t, &cases).map_err(|(s, _)| s);
        assert_eq!(status("/runCase?case=1"), Err(400));
        assert_eq!(status("/runCase?agent=a"), Err(400));
        assert_eq!(status("/runCase?case=0&agent=a"), Err(400));
        assert_eq!(status("/runCase?case=5&agent=a"), Err(400));
        assert_eq!(status("/runCase?case=x&agent=a"), Err(400));
        assert_eq!(status("/runCase?case=1&agent=a&agent=b"), Err(400));
        assert_eq!(status("/runCase?casetuple=99.1&agent=a"), Err(400));
        assert_eq!(status("/updateReports"), Err(400));
        assert_eq!(status("/getCaseInfo"), Err(400));
        assert_eq!(status("/getCaseStatus?case=1"), Err(400));
        assert_eq!(status("/"), Err(404));
        let long = format!("/runCase?case=1&agent={}", "a".repeat(MAX_AGENT_LEN + 1));
        assert_eq!(status(&long), Err(400));
        let (_, reason) = route("/runCase?case=9&agent=a", &cases).unwrap_err();
        assert_eq!(reason, "case 9 not found (cases are 1 to 4)");
    }

    #[test]
    fn case_info_is_wstests_json() {
        let case = ServedCase::Catalog(catalog::find("1.1.1").unwrap());
        assert_eq!(
            case_info_json(&case),
            "{\"id\": \"1.1.1\", \"description\": \"Send text message with payload 0.\"}"
        );
        assert_eq!(case_status_json("OK"), "{\"behavior\": \"OK\"}");
        assert_eq!(python_json_string("é\"\n"), "\"\\u00e9\\\"\\n\"");
        assert_eq!(python_json_string("😀"), "\"\\ud83d\\ude00\"");
    }

    #[test]
    fn selection_uses_wstests_patterns_over_every_served_case() {
        let cases = served();
        let ids = |sel: Vec<ServedCase>| sel.iter().map(|c| c.id().to_string()).collect::<Vec<_>>();
        let picked = select(&cases, &[CasePattern::new("101.*")], &[]).unwrap();
        assert_eq!(ids(picked), vec!["101.1.1"]);
        let rest = select(&cases, &[], &[CasePattern::new("1.1.1")]).unwrap();
        assert_eq!(rest.len(), 3);
        assert!(matches!(
            select(&cases, &[CasePattern::new("7.7.7")], &[]),
            Err(PatternError::UnknownCase(_))
        ));
    }
}

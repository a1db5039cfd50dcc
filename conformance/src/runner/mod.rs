//! Runs catalog cases against a server and judges them with wstest's rules.
//!
//! Each case runs on its own connection ([`fuzzer`]). Cases run in parallel, in two
//! phases: first the cases whose verdict depends on timing (fixed one-second waits that
//! race the peer) together, on an otherwise idle machine; then the rest, longest first,
//! `jobs` at a time. Every case has a deadline, so a peer that hangs, floods or never
//! closes costs at most that case's time limit and never the run.

pub mod accept;
pub mod fuzzer;
pub mod handshake;
pub mod hixie76;
pub mod messages;
pub mod record;
pub mod split;
pub mod verdict;
pub mod wsspec;

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::sync::watch;
use wsspec_autobahn::tls::MaybeTlsStream;
use wsspec_reports::{AgentRun, CaseResult, Incomplete, Run, RunKind};

pub use fuzzer::{serve_case, CaseRun, Opening, Settings, Target};
use messages::{MessageCache, MessageSetKey};

use crate::catalog::{Case, Check};

/// How a run goes.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The server.
    pub target: Target,
    /// Timeouts and limits.
    pub settings: Settings,
    /// Cases at once in the parallel phase.
    pub jobs: usize,
}

/// The default number of cases run at once: two per core, as most of a case's time
/// is spent waiting for the peer (which shares the machine when it runs locally).
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

/// What a run produced.
#[derive(Debug)]
pub struct RunResults {
    /// Every case that completed, in catalog order.
    pub cases: Vec<CaseRun>,
    /// The run was stopped before every case completed.
    pub interrupted: bool,
    /// The cases selected (completed or not).
    pub selected: usize,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl RunResults {
    /// The agent name: `agent` if given, else the first `Server` header seen (in
    /// catalog order), else wstest's "UnknownServer".
    pub fn agent_name(&self, agent: Option<&str>) -> String {
        agent
            .map(str::to_owned)
            .or_else(|| self.cases.iter().find_map(|c| c.server_header.clone()))
            .unwrap_or_else(|| "UnknownServer".to_owned())
    }

    /// The results as a report model, for `write_run` and the renderers.
    pub fn to_run(&self, agent: &str, label: &str) -> Run {
        let mut cases = BTreeMap::new();
        for case in &self.cases {
            let mut detail = case.detail.clone();
            detail.agent = agent.to_owned();
            let id = wsspec_reports::CaseId::new(detail.id.clone());
            let result = CaseResult {
                behavior: detail.behavior.clone(),
                behavior_close: detail.behavior_close.clone(),
                duration_ms: detail.duration,
                remote_close_code: detail.remote_close_code,
                report_file: Some(wsspec_reports::case_report_file_name(agent, &id)),
                accept: Vec::new(),
                detail: Some(Box::new(detail)),
            };
            cases.insert(id, result);
        }
        let mut agents = BTreeMap::new();
        agents.insert(
            agent.to_owned(),
            AgentRun {
                agent: agent.to_owned(),
                cases,
                incomplete: self.interrupted.then_some(Incomplete {
                    selected: self.selected,
                }),
            },
        );
        Run {
            label: label.to_owned(),
            kind: RunKind::Results,
            agents,
        }
    }
}

/// Told about each case as it ends.
pub trait Observer: Send + Sync {
    /// A case has ended; `done` of `total` have.
    fn case_done(&self, run: &CaseRun, done: usize, total: usize);
}

impl<F: Fn(&CaseRun, usize, usize) + Send + Sync> Observer for F {
    fn case_done(&self, run: &CaseRun, done: usize, total: usize) {
        self(run, done, total)
    }
}

/// Connects to `target` once (TCP, and TLS for `wss://`), to tell "nothing is
/// listening" or "its certificate is not trusted" from a failing case before a run
/// starts.
pub async fn probe(target: &Target, settings: &Settings) -> Result<(), String> {
    connect(target, settings).await.map(drop)
}

/// Opens a connection to `target`: TCP, then the TLS handshake when `settings.tls`
/// is set, both within the open timeout (which the opening handshake then gets
/// afresh, as wstest's does). The error is one line saying what failed.
pub async fn connect(target: &Target, settings: &Settings) -> Result<MaybeTlsStream, String> {
    let deadline = tokio::time::Instant::now() + settings.open_timeout;
    let within = settings.open_timeout.as_secs_f64();
    let tcp = TcpStream::connect((target.host.as_str(), target.port));
    let tcp = match tokio::time::timeout_at(deadline, tcp).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(format!("cannot connect to {}: {e}", target.host_header())),
        Err(_) => {
            return Err(format!(
                "connecting to {} timed out after {within} s",
                target.host_header()
            ))
        }
    };
    let _ = tcp.set_nodelay(true);
    let Some(tls) = &settings.tls else {
        return Ok(MaybeTlsStream::Plain(tcp));
    };
    match tokio::time::timeout_at(deadline, tls.connect(&target.host, tcp)).await {
        Ok(Ok(stream)) => Ok(MaybeTlsStream::Tls(Box::new(stream))),
        Ok(Err(problem)) => Err(problem),
        Err(_) => Err(format!(
            "TLS: the handshake with {} did not complete within {within} s",
            target.host_header()
        )),
    }
}

/// Runs one case on a fresh connection.
pub async fn run_one(
    case: &Case,
    index: usize,
    options: &RunOptions,
    cache: &MessageCache,
) -> CaseRun {
    if case.wsspec.is_some() {
        return wsspec::run_one(case, index, options, cache).await;
    }
    let started = fuzzer::utc_now();
    let target = &options.target;
    match connect(target, &options.settings).await {
        Ok(stream) => {
            fuzzer::run_case(
                stream,
                case,
                index,
                target,
                &options.settings,
                cache,
                started,
            )
            .await
        }
        Err(problem) => fuzzer::connect_failed(case, index, started, problem),
    }
}

/// Runs `cases` (each with its 1-based catalog index) and returns the results in the
/// order given. A `true` on `stop` ends the run early: cases not started are skipped,
/// running ones abandoned, and what completed is returned.
pub async fn run(
    cases: Vec<(usize, &'static Case)>,
    options: RunOptions,
    observer: Arc<dyn Observer>,
    stop: watch::Receiver<bool>,
) -> RunResults {
    let begun = Instant::now();
    let total = cases.len();
    let cache = Arc::new(MessageCache::new());
    for (_, case) in &cases {
        if let Check::Deflate { data, len, .. } = case.check {
            cache.expect_user(data, len);
        }
    }
    let (quiet, mut busy): (Vec<_>, Vec<_>) = cases
        .iter()
        .copied()
        .enumerate()
        .partition(|(_, (_, c))| c.timing_sensitive);
    order_busy_phase(&mut busy);
    // The message sets of sections 12 and 13 in the order the busy phase needs them,
    // made while the quiet phase leaves the machine idle (see below).
    let mut prebuild: Vec<(MessageSetKey, usize)> = Vec::new();
    for (_, (_, case)) in &busy {
        if let Check::Deflate {
            data, len, count, ..
        } = case.check
        {
            // The suite's offer leaves its window to the server, which keeps 15 unless
            // it answers with client_max_window_bits.
            let key = MessageSetKey {
                data,
                len,
                window_bits: 15,
            };
            if !prebuild.iter().any(|(k, _)| *k == key) {
                prebuild.push((key, count));
            }
        }
    }

    let results: Arc<Mutex<Vec<Option<CaseRun>>>> =
        Arc::new(Mutex::new((0..total).map(|_| None).collect()));
    let done = Arc::new(Mutex::new(0usize));
    let options = Arc::new(options);
    let mut interrupted = false;

    for (phase, jobs, quiet_phase) in [
        (quiet, usize::MAX, true),
        (busy, options.jobs.max(1), false),
    ] {
        if *stop.borrow() {
            interrupted = true;
            break;
        }
        let queue = Arc::new(Mutex::new(phase.into_iter().collect::<VecDeque<_>>()));
        let workers = jobs.min(lock(&queue).len());
        // The quiet phase's cases mostly wait (one-second pauses): one thread makes
        // the busy phase's messages meanwhile, on its own, so the cases keep a core
        // and the server under test is not loaded by it.
        let prebuilding = (quiet_phase && workers > 0 && !prebuild.is_empty()).then(|| {
            let (cache, sets, stop) = (
                Arc::clone(&cache),
                std::mem::take(&mut prebuild),
                Arc::new(AtomicBool::new(false)),
            );
            let flag = Arc::clone(&stop);
            let handle = tokio::task::spawn_blocking(move || cache.prebuild(&sets, &flag));
            (handle, stop)
        });
        let mut handles = Vec::new();
        for _ in 0..workers {
            let (queue, results, done, options, cache, observer, mut stop) = (
                Arc::clone(&queue),
                Arc::clone(&results),
                Arc::clone(&done),
                Arc::clone(&options),
                Arc::clone(&cache),
                Arc::clone(&observer),
                stop.clone(),
            );
            handles.push(tokio::spawn(async move {
                loop {
                    if *stop.borrow() {
                        return;
                    }
                    let Some((slot, (index, case))) = lock(&queue).pop_front() else {
                        return;
                    };
                    let run = tokio::select! {
                        run = run_one(case, index, &options, &cache) => run,
                        Ok(_) = stop.wait_for(|s| *s) => return,
                    };
                    if let Check::Deflate { data, len, .. } = case.check {
                        cache.case_done(data, len);
                    }
                    let finished = {
                        let mut done = lock(&done);
                        *done += 1;
                        *done
                    };
                    observer.case_done(&run, finished, total);
                    lock(&results)[slot] = Some(run);
                }
            }));
        }
        for handle in handles {
            let _ = handle.await;
        }
        if let Some((handle, stop)) = prebuilding {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.await;
        }
    }
    let results: Vec<CaseRun> = std::mem::take(&mut *lock(&results))
        .into_iter()
        .flatten()
        .collect();
    if results.len() < total {
        interrupted = true;
    }
    RunResults {
        cases: results,
        interrupted,
        selected: total,
        elapsed: begun.elapsed(),
    }
}

/// Longest first, with the deflate cases that send the same messages next to each
/// other (their group placed by its longest case), so a shared message set lives
/// only while its group runs.
fn order_busy_phase(busy: &mut [(usize, (usize, &'static Case))]) {
    let group = |case: &Case| match case.check {
        Check::Deflate { data, len, .. } => Some((data as usize, len)),
        _ => None,
    };
    let mut longest: HashMap<(usize, usize), Duration> = HashMap::new();
    for (_, (_, case)) in busy.iter() {
        if let Some(key) = group(case) {
            let entry = longest.entry(key).or_default();
            *entry = (*entry).max(case.expected_duration);
        }
    }
    busy.sort_by_key(|(slot, (_, case))| {
        let key = group(case);
        let weight = key.map_or(case.expected_duration, |k| longest[&k]);
        (
            Reverse(weight),
            key.unwrap_or((usize::MAX, *slot)),
            Reverse(case.expected_duration),
            *slot,
        )
    });
}

/// Locks `mutex`; a panic elsewhere while it was held leaves data that is still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

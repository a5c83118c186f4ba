//! Retries for transient failures: the server unreachable for a moment (connection refused
//! or reset), throttling (429) and brief server errors (5xx), within the command's deadline.
//! Delays come from tower's exponential backoff with random jitter (seeded per process, so
//! parallel CI jobs hitting one recovering server spread out instead of retrying in
//! lockstep), and never undercut a `Retry-After` the server sent. Permanent answers (400,
//! 403, 404, 409, 422) are returned at once. A request the server may have acted on is not
//! repeated: a POST answered 500/502/504, or a POST whose connection failed after it was
//! sent.

use http::{Method, Request, Response};
use kube::client::Body;
use std::time::{Duration, Instant};
use tower::retry::backoff::{Backoff, ExponentialBackoff, ExponentialBackoffMaker, MakeBackoff};
use tower::util::rng::HasherRng;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// About 1.5 s of retrying, in all, before a transport error is reported.
pub const MAX_TRANSPORT_RETRIES: u32 = 5;
/// The longest single wait, whatever the backoff or the server's Retry-After says.
const MAX_DELAY: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct Transient {
    attempt: u32,
    deadline: Instant,
    backoff: ExponentialBackoff<HasherRng>,
}

impl Transient {
    pub fn new(deadline: Instant) -> Self {
        let backoff = ExponentialBackoffMaker::new(
            Duration::from_millis(50),
            Duration::from_secs(2),
            0.5,
            HasherRng::default(),
        )
        .expect("valid backoff bounds")
        .make_backoff();
        Transient {
            attempt: 0,
            deadline,
            backoff,
        }
    }

    /// The next wait: the backoff's, or the server's Retry-After when that is longer.
    fn delay(&mut self, retry_after: Option<Duration>) -> Duration {
        let sleep = self.backoff.next_backoff();
        let backoff = sleep.deadline().saturating_duration_since(tokio::time::Instant::now());
        backoff.max(retry_after.unwrap_or_default()).min(MAX_DELAY)
    }
}

/// Whether a response status is worth another try for this method.
pub fn retryable_status(method: &Method, status: u16) -> bool {
    match status {
        // Refused before any work was done.
        429 | 503 => true,
        500 | 502 | 504 => method != Method::POST,
        _ => false,
    }
}

/// Whether a failed request (no response) may be sent again: any idempotent request, and a
/// POST only when the connection failed before it could be sent.
pub fn retryable_transport_error(method: &Method, e: &BoxError) -> bool {
    if method != Method::POST {
        return true;
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e.as_ref());
    while let Some(err) = cur {
        if let Some(h) = err.downcast_ref::<hyper_util::client::legacy::Error>() {
            return h.is_connect();
        }
        cur = err.source();
    }
    false
}

/// `Retry-After: SECONDS` (the form the API server sends).
pub fn retry_after<B>(r: &Response<B>) -> Option<Duration> {
    let s = r.headers().get(http::header::RETRY_AFTER)?.to_str().ok()?;
    s.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl<Res> tower::retry::Policy<Request<Body>, Response<Res>, BoxError> for Transient {
    type Future = tokio::time::Sleep;

    fn retry(&mut self, req: &mut Request<Body>, result: &mut Result<Response<Res>, BoxError>) -> Option<Self::Future> {
        let (again, after) = match result {
            Ok(r) => (retryable_status(req.method(), r.status().as_u16()), retry_after(r)),
            // No answer came. A few quick tries ride out a restarting server; more would only
            // delay telling a user their address is wrong.
            Err(e) => (
                self.attempt < MAX_TRANSPORT_RETRIES && retryable_transport_error(req.method(), e),
                None,
            ),
        };
        if !again {
            return None;
        }
        let delay = self.delay(after);
        if Instant::now() + delay >= self.deadline {
            return None;
        }
        self.attempt += 1;
        Some(tokio::time::sleep(delay))
    }

    fn clone_request(&mut self, req: &Request<Body>) -> Option<Request<Body>> {
        let body = req.body().try_clone()?;
        let mut b = Request::builder()
            .method(req.method().clone())
            .uri(req.uri().clone())
            .version(req.version());
        if let Some(h) = b.headers_mut() {
            h.extend(req.headers().clone());
        }
        b.body(body).ok().map(|mut r| {
            *r.extensions_mut() = req.extensions().clone();
            r
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_answers_are_retried() {
        assert!(retryable_status(&Method::GET, 503));
        assert!(retryable_status(&Method::POST, 429));
        assert!(retryable_status(&Method::GET, 500));
        assert!(!retryable_status(&Method::POST, 500), "a POST may have been applied");
        for permanent in [400, 401, 403, 404, 409, 422] {
            assert!(!retryable_status(&Method::GET, permanent));
        }
    }

    #[test]
    fn a_post_is_resent_only_when_it_never_left() {
        let other: BoxError = "connection reset by peer".into();
        assert!(retryable_transport_error(&Method::GET, &other));
        assert!(retryable_transport_error(&Method::PATCH, &other));
        assert!(!retryable_transport_error(&Method::POST, &other));
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let r = Response::builder().header("Retry-After", "3").body(()).unwrap();
        assert_eq!(retry_after(&r), Some(Duration::from_secs(3)));
        let r = Response::builder().header("Retry-After", "soon").body(()).unwrap();
        assert_eq!(retry_after(&r), None);
    }

    #[tokio::test]
    async fn delays_grow_are_jittered_and_honour_retry_after() {
        let far = Instant::now() + Duration::from_secs(60);
        let mut a = Transient::new(far);
        let first = a.delay(None);
        assert!(
            first >= Duration::from_millis(50) && first <= Duration::from_millis(80),
            "{first:?}"
        );
        let later: Vec<Duration> = (0..6).map(|_| a.delay(None)).collect();
        assert!(later.iter().all(|d| *d <= Duration::from_secs(3)), "{later:?}");
        assert!(later[5] >= Duration::from_millis(1500), "{later:?}");
        // Two processes' schedules differ: the jitter is random, not derived from the pid.
        let mut b = Transient::new(far);
        let mut c = Transient::new(far);
        let sb: Vec<Duration> = (0..5).map(|_| b.delay(None)).collect();
        let sc: Vec<Duration> = (0..5).map(|_| c.delay(None)).collect();
        assert_ne!(sb, sc);
        // The server's Retry-After wins when it is longer, capped at MAX_DELAY.
        assert_eq!(a.delay(Some(Duration::from_secs(4))), Duration::from_secs(4));
        assert_eq!(a.delay(Some(Duration::from_secs(60))), MAX_DELAY);
    }
}

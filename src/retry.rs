//! Retries for transient failures: the server unreachable for a moment (connection refused
//! or reset), throttling (429) and brief server errors (5xx), with exponential backoff and
//! jitter, within the command's deadline. Permanent answers (400, 403, 404, 409, 422) are
//! returned at once. A request the server may have acted on (a POST answered 5xx) is not
//! repeated.

use http::{Method, Request, Response};
use kube::client::Body;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// About 1.5 s of retrying, in all, before a transport error is reported.
pub const MAX_TRANSPORT_RETRIES: u32 = 5;

#[derive(Clone, Debug)]
pub struct Transient {
    attempt: u32,
    deadline: Instant,
}

impl Transient {
    pub fn new(deadline: Instant) -> Self {
        Transient { attempt: 0, deadline }
    }

    fn delay(&self) -> Duration {
        let base = 50u64.saturating_mul(1 << self.attempt.min(6));
        // Jitter spreads out many CI jobs retrying against one recovering server.
        let jitter = (std::process::id() as u64 ^ Instant::now().elapsed().subsec_nanos() as u64) % (base / 2 + 1);
        Duration::from_millis((base + jitter).min(2000))
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

impl<Res> tower::retry::Policy<Request<Body>, Response<Res>, BoxError> for Transient {
    type Future = tokio::time::Sleep;

    fn retry(&mut self, req: &mut Request<Body>, result: &mut Result<Response<Res>, BoxError>) -> Option<Self::Future> {
        let again = match result {
            Ok(r) => retryable_status(req.method(), r.status().as_u16()),
            // Transport errors: no answer came. A few quick tries ride out a restarting
            // server; more would only delay telling a user their address is wrong.
            Err(_) => self.attempt < MAX_TRANSPORT_RETRIES,
        };
        let delay = self.delay();
        if !again || Instant::now() + delay >= self.deadline {
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
        let t = Transient::new(Instant::now() + Duration::from_secs(10));
        assert!(t.delay() <= Duration::from_millis(2000));
    }
}

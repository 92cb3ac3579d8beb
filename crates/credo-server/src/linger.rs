//! Reading what is left of a request's body after the answer, so that a refused request keeps its answer.
//!
//! A request can be answered before its body is read: the guard refuses an upload from a visitor whose session has
//! ended, a handler refuses a wrong content type, a size limit stops reading. hyper then closes the connection with
//! the unread bytes still arriving, and the kernel answers them with a reset — which can reach the client before the
//! answer does (a browser shows "connection reset" instead of the sign-in page), and a client that reuses the
//! connection for its next request gets no answer to that one either. `tests/fuzz_routes.rs` saw both, for about
//! one refused request in ten with a body of 100 KB or more, and for small bodies on reused connections.
//!
//! The fix is the one web servers call a lingering close (nginx's `lingering_close`): the body handed to the
//! handler is shared, and once the answer is on its way the rest of the body is read and thrown away, up to
//! [`MAX_BYTES`] and for at most [`MAX_TIME`]. A client that keeps sending past either is cut off as before.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;
use tokio::sync::Mutex;

/// The most bytes of an unread body that are read after the answer (larger uploads to a refused route are cut off).
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// The longest the rest of a body is waited for.
pub const MAX_TIME: Duration = Duration::from_secs(5);

/// The middleware: hands the handler a body that reads from a shared stream, then reads what the handler left.
pub async fn linger(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    if declared == Some(0u64) || (declared.is_none() && !headers.contains_key(header::TRANSFER_ENCODING)) {
        // No body: nothing to leave unread.
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let shared = Arc::new(Mutex::new(body.into_data_stream()));
    let reader = futures_util::stream::unfold(shared.clone(), |s| async move {
        let chunk = s.lock().await.next().await;
        chunk.map(|c| (c, s))
    });
    let response = next.run(Request::from_parts(parts, Body::from_stream(reader))).await;
    // In the background, so that the answer is not delayed: hyper writes it while the rest arrives, and keeps the
    // connection once the body has ended.
    tokio::spawn(async move {
        let mut stream = shared.lock().await;
        let mut read = 0;
        let _ = tokio::time::timeout(MAX_TIME, async {
            while let Some(Ok(chunk)) = stream.next().await {
                read += chunk.len();
                if read > MAX_BYTES {
                    break;
                }
            }
        })
        .await;
    });
    response
}

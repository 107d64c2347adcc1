//! Names for background work, so a panic can say where it happened: a future
//! run under [`scope`] carries its name, and [`spawn_blocking`] hands the
//! name of the task that starts a blocking job on to the thread running it.
//! The console's panic hook reads [`current`].

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    /// The name of the task being polled.
    static TASK_NAME: &'static str;
}

thread_local! {
    /// The name of the task a blocking job runs for, on the blocking thread.
    static BLOCKING_FOR: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Runs `fut` under `name`.
pub fn scope<F: Future>(name: &'static str, fut: F) -> impl Future<Output = F::Output> {
    TASK_NAME.scope(name, fut)
}

/// The name of the task running here: the polled task's, or on a blocking
/// thread the name of the task that started the job. `None` elsewhere.
pub fn current() -> Option<&'static str> {
    TASK_NAME
        .try_with(|n| *n)
        .ok()
        .or_else(|| BLOCKING_FOR.with(Cell::get))
}

/// [`tokio::task::spawn_blocking`], the job running under the current
/// task's name.
pub fn spawn_blocking<F, R>(f: F) -> tokio::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let name = current();
    tokio::task::spawn_blocking(move || {
        let before = BLOCKING_FOR.with(|b| b.replace(name));
        // Reset even if `f` panics (the pool thread runs other jobs later).
        struct Reset(Option<&'static str>);
        impl Drop for Reset {
            fn drop(&mut self) {
                BLOCKING_FOR.with(|b| b.set(self.0));
            }
        }
        let _reset = Reset(before);
        f()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_blocking_job_runs_under_the_name_of_the_task_that_started_it() {
        let (inside, blocking) = scope("stream reader", async {
            let inside = current();
            let blocking = spawn_blocking(current).await.unwrap();
            (inside, blocking)
        })
        .await;
        assert_eq!(inside, Some("stream reader"));
        assert_eq!(blocking, Some("stream reader"));
        // Outside any named task, and on a plain blocking job: no name.
        assert_eq!(current(), None);
        assert_eq!(spawn_blocking(current).await.unwrap(), None);
        assert_eq!(tokio::task::spawn_blocking(current).await.unwrap(), None);
    }
}

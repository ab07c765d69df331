//! The change feed on PostgreSQL: a connection of its own LISTENs on the journal's channel and wakes the
//! engine at each change (and after each reconnect, which may have missed some); the 1 s poll stays behind.

use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio_postgres::AsyncMessage;

use crate::config::PostgresTarget;
use crate::pg_connect::{PgConnectError, connect, describe};
use crate::store::db::CHANGE_CHANNEL as CHANNEL;

/// A lost connection is tried again after this long, doubling…
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// …up to this.
const LONGEST_RETRY: Duration = Duration::from_secs(30);

/// What the feed tells the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wake {
    /// Nothing yet.
    #[default]
    Idle,
    /// Another process committed (the counter moved).
    Changed(u64),
    /// (Re)connected and listening: changes may have been missed, so everything is read again.
    Listening(u64),
}

/// Starts the feed for the journal at `target`; the receiver changes at each wake. The task ends when the
/// receiver is dropped.
pub fn start(target: PostgresTarget) -> watch::Receiver<Wake> {
    let (wake, woken) = watch::channel(Wake::Idle);
    tokio::spawn(run(target, wake));
    woken
}

async fn run(target: PostgresTarget, wake: watch::Sender<Wake>) {
    let mut retry = FIRST_RETRY;
    let mut wakes = 0u64;
    loop {
        let ended = listen(&target, &wake, &mut wakes, &mut retry).await;
        if wake.is_closed() {
            return;
        }
        tracing::warn!(
            "the journal's change feed is down ({ended}); reconnecting in {} s (changes are polled each second meanwhile)",
            retry.as_secs()
        );
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(LONGEST_RETRY);
    }
}

/// One connection's life: LISTEN, wake at each notification, until it is lost.
async fn listen(
    target: &PostgresTarget,
    wake: &watch::Sender<Wake>,
    wakes: &mut u64,
    retry: &mut Duration,
) -> String {
    let (client, mut connection) = match connect(target).await {
        Ok(connected) => connected,
        Err(PgConnectError::Unreachable { reason, .. }) => return reason,
        Err(e) => return e.to_string(),
    };
    let (notified, mut notifications) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => {
                    if notified.send(()).is_err() {
                        return "the engine stopped".to_string();
                    }
                }
                Ok(_) => {}
                Err(e) => return describe(&e),
            }
        }
        "the server closed the connection".to_string()
    });
    if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
        driver.abort();
        return describe(&e);
    }
    tracing::info!("the journal's change feed listens on {CHANNEL}");
    *retry = FIRST_RETRY;
    *wakes += 1;
    wake.send_replace(Wake::Listening(*wakes));
    loop {
        tokio::select! {
            got = notifications.recv() => {
                if got.is_none() {
                    break;
                }
                *wakes += 1;
                wake.send_replace(Wake::Changed(*wakes));
            }
            () = wake.closed() => {
                driver.abort();
                return "the engine stopped".into();
            }
        }
    }
    drop(client);
    driver.await.unwrap_or_else(|e| e.to_string())
}

impl super::core::Engine {
    /// The feed woke the engine: a change is read at once; after a (re)connect everything is read again.
    pub(super) async fn on_feed(&mut self, wake: Wake) {
        self.enter("taking in the journal's change feed");
        match wake {
            Wake::Idle => {}
            Wake::Changed(_) => self.watch_journal().await,
            Wake::Listening(_) => self.reload_from_journal().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test server (`REMEDY_TEST_PG_URL`), when one is given.
    fn server() -> Option<PostgresTarget> {
        let Some(url) = std::env::var("REMEDY_TEST_PG_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI sets REMEDY_TEST_PG_URL"
            );
            eprintln!("REMEDY_TEST_PG_URL not set: the change feed test is skipped");
            return None;
        };
        // Its own application name, so the test kills its own connection only.
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!(
            "{url}{separator}application_name=remedy_feed_{}",
            std::process::id()
        );
        let config = crate::config::load_str(
            &format!(
                "[tenant]\nid = \"t\"\nclient_id = \"c\"\nclient_secret = \"s\"\n[cas]\nurl = \"https://cas.example\"\ntoken = \"x\"\n[journal]\nurl = \"{url}\"\n"
            ),
            std::path::Path::new("test.toml"),
            &|_| None,
        )
        .expect("config")
        .config;
        match crate::config::journal_target(
            &config,
            std::path::Path::new("test.toml"),
            Default::default,
            &|_| None,
        ) {
            Ok((crate::config::JournalTarget::Postgres(target), _)) => Some(target),
            other => panic!("{other:?}"),
        }
    }

    /// The next wake, within `secs` (bounds a failure only).
    async fn next(woken: &mut watch::Receiver<Wake>, secs: u64) -> Wake {
        tokio::time::timeout(Duration::from_secs(secs), woken.changed())
            .await
            .expect("woken in time")
            .expect("the feed runs");
        *woken.borrow_and_update()
    }

    #[tokio::test]
    async fn a_notification_wakes_the_engine_and_a_lost_connection_is_listened_again_as_a_change() {
        let Some(target) = server() else { return };
        let mut woken = start(target.clone());
        assert!(matches!(next(&mut woken, 10).await, Wake::Listening(_)));

        let (client, connection) = connect(&target).await.expect("connected");
        tokio::spawn(connection);
        client
            .batch_execute(&format!("NOTIFY {CHANNEL}, '42'"))
            .await
            .expect("notified");
        assert!(matches!(next(&mut woken, 5).await, Wake::Changed(_)));

        // The feed's connection is killed (as a database restart or failover would): it listens again and
        // says so, which the engine takes as "something changed".
        client
            .batch_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = 'remedy_feed_{}' AND query LIKE 'LISTEN {CHANNEL}%' \
                 AND pid <> pg_backend_pid()",
                std::process::id()
            ))
            .await
            .expect("terminated");
        assert!(matches!(next(&mut woken, 10).await, Wake::Listening(_)));
    }
}

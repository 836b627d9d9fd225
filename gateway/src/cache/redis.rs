//! Redis-backed cache. Every key carries the configured prefix, so several
//! deployments (or parallel tests) can share one Redis. Each call is a span
//! naming the command only: keys carry session ids and values are answers.

use std::future::Future;
use std::time::Duration;

use tracing::field::Empty;
use tracing::Instrument;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, ExistenceCheck, SetExpiry, SetOptions};

use super::{Cache, CacheError};

pub struct RedisCache {
    conn: ConnectionManager,
    prefix: String,
}

fn unavailable(e: redis::RedisError) -> CacheError {
    CacheError::Unavailable(e.to_string())
}

/// Runs one command in a span `redis` (`otel.name` e.g. `redis GET`).
async fn traced<T>(
    name: &'static str,
    command: &'static str,
    call: impl Future<Output = Result<T, CacheError>>,
) -> Result<T, CacheError> {
    let span = tracing::info_span!(
        target: "gateway::cache",
        "redis",
        otel.name = name,
        otel.kind = "client",
        db.system = "redis",
        db.operation = command,
        otel.status_code = Empty,
    );
    let result = call.instrument(span.clone()).await;
    if result.is_err() {
        span.record("otel.status_code", "ERROR");
    }
    result
}

impl RedisCache {
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, CacheError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        // Fail fast when Redis is gone: callers fall back (dashboards are
        // computed, sessions refused) instead of waiting out long retries.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(unavailable)?;
        Ok(Self {
            conn,
            prefix: prefix.to_string(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[async_trait::async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let mut conn = self.conn.clone();
        traced("redis GET", "GET", async {
            conn.get(self.key(key)).await.map_err(unavailable)
        })
        .await
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let mut conn = self.conn.clone();
        traced("redis SETEX", "SETEX", async {
            conn.set_ex::<_, _, ()>(self.key(key), value, ttl.as_secs().max(1))
                .await
                .map_err(unavailable)
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let mut conn = self.conn.clone();
        traced("redis DEL", "DEL", async {
            conn.del::<_, ()>(self.key(key)).await.map_err(unavailable)
        })
        .await
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        // GETDEL (Redis 6.2+) is atomic: of two racing callers only one gets the value.
        let mut conn = self.conn.clone();
        traced("redis GETDEL", "GETDEL", async {
            conn.get_del(self.key(key)).await.map_err(unavailable)
        })
        .await
    }

    async fn set_if_present(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let mut conn = self.conn.clone();
        let options = SetOptions::default()
            .conditional_set(ExistenceCheck::XX)
            .with_expiration(SetExpiry::EX(ttl.as_secs().max(1)));
        let reply: Option<String> = traced("redis SET", "SET", async {
            conn.set_options(self.key(key), value, options)
                .await
                .map_err(unavailable)
        })
        .await?;
        Ok(reply.is_some())
    }

    async fn add_counted(&self, key: &str, amount: i64, ttl: Duration) -> Result<i64, CacheError> {
        let mut conn = self.conn.clone();
        let key = self.key(key);
        // One transaction: the counter never exists without its expiry.
        let (value,): (i64,) = traced("redis INCRBY", "MULTI INCRBY EXPIRE", async {
            redis::pipe()
                .atomic()
                .incr(&key, amount)
                .expire(&key, ttl.as_secs().max(1) as i64)
                .ignore()
                .query_async(&mut conn)
                .await
                .map_err(unavailable)
        })
        .await?;
        Ok(value)
    }

    async fn incr(&self, key: &str) -> Result<i64, CacheError> {
        let mut conn = self.conn.clone();
        traced("redis INCR", "INCR", async {
            conn.incr(self.key(key), 1).await.map_err(unavailable)
        })
        .await
    }

    async fn counters(&self, keys: &[String]) -> Result<Vec<i64>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn.clone();
        let keys: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        // MGET of one key answers a bare value, not an array: ask as a list.
        let values: Vec<Option<i64>> = traced("redis MGET", "MGET", async {
            redis::cmd("MGET")
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .map_err(unavailable)
        })
        .await?;
        Ok(values.into_iter().map(Option::unwrap_or_default).collect())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let mut conn = self.conn.clone();
        traced("redis PING", "PING", async {
            redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .map(|_| ())
                .map_err(unavailable)
        })
        .await
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

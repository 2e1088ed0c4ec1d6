//! The store of [`crate::store`] kept in Redis — one Redis, or a Redis Cluster — so several
//! server instances share it.
//!
//! Every step that reads and then writes one family is one Lua script, which Redis runs
//! atomically: two instances presenting the same refresh token at once cannot both rotate it.
//! The scripts are cluster-safe: every key a script touches is passed in `KEYS`, and the keys of
//! one family share the hash tag `{<family id>}`, so they live in one slot, on one master, and a
//! rotation is one atomic step there. Different families spread over the masters. What a step
//! needs from outside its family (the reset epoch, the family a token belongs to, the lineage of
//! a replaced family) is read before the script and passed in `ARGV`: each is either immutable
//! once written or only ever moves one way, so reading it a moment early decides nothing a
//! moment-later read would not (a family created or refreshed just as a reset lands is dead at
//! its next step, as if it had come just before the reset).
//!
//! Keys, all under a prefix (`tk:` by default, `--redis-prefix`); `<h>` is the SHA-256 (hex) of
//! a refresh token — 256 random bits, no preimage to find, so a dump of Redis hands out no live
//! token but the one `current` holds, which the grace rule hands to a late tab:
//!
//! | key | type | holds | expires |
//! |---|---|---|---|
//! | `{<id>}:family` | hash | `user`, `csrf`, `gen`, `current`, `expires`, `epoch`, `revoked`, `lineage` (the ids of the families its login replaced, newest first), `jkt` (the DPoP key it is bound to) | with the family |
//! | `{<id>}:token:<h>` | hash | `gen`, `retired` (ms, or empty) | with the family |
//! | `token:<h>` | string | the family id: where to look for the token | with the family |
//! | `{_}:next_family`, `{_}:serial` | counter | the last family id; the last access token's `jti` | never |
//! | `{_}:revoked_through` | integer | access tokens with a `jti` at or below it are revoked | never |
//! | `{_}:epoch` | counter | bumped by a reset: families of an older epoch are dead | never |
//! | `jti:<jti>` | string | an access token revoked one by one | after the refresh TTL |
//! | `signing_key` | string | the HS256 key every instance signs and checks with | never |
//! | `dpop:jti:<jkt>:<jti>` | string | a DPoP proof's `jti`, spent (`SET NX`) | when the proof could no longer be accepted |
//! | `dpop:nonce` | hash | `current`, `previous`, `since`: the server nonce every instance hands out | never |

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Script, Value};
use sha2::{Digest as _, Sha256};

use crate::store::{Millis, Outcome, Session, MAX_EXPIRY};

/// Redis failed or answered something this server did not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;

impl From<redis::RedisError> for Unavailable {
    fn from(_: redis::RedisError) -> Self {
        Unavailable
    }
}

/// Shared by the family scripts: `live(family key, epoch, now)` says whether that family may
/// still be used (`now` nil: whatever its expiry).
const LIVE: &str = r"
local function live(fk, epoch, now)
  local f = redis.call('HMGET', fk, 'revoked', 'epoch', 'expires')
  if not f[1] or f[1] ~= '0' then return false end
  if f[2] ~= epoch then return false end
  return now == nil or now < tonumber(f[3])
end
";

/// KEYS: family, token. ARGV: epoch, token, user, csrf, expires, lineage.
const LOGIN: &str = r"
redis.call('HSET', KEYS[1], 'user', ARGV[3], 'csrf', ARGV[4], 'gen', 0, 'current', ARGV[2],
  'expires', ARGV[5], 'epoch', ARGV[1], 'revoked', 0, 'lineage', ARGV[6])
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
redis.call('HSET', KEYS[2], 'gen', 0, 'retired', '')
redis.call('PEXPIREAT', KEYS[2], ARGV[5])
return 1
";

/// KEYS: family, token. ARGV: epoch, now → {user, csrf, lineage} while the family lives.
const SESSION: &str = r"
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
if not live(KEYS[1], ARGV[1], tonumber(ARGV[2])) then return false end
local f = redis.call('HMGET', KEYS[1], 'user', 'csrf', 'lineage')
return {f[1], f[2], f[3] or ''}
";

/// KEYS: family, token, successor. ARGV: epoch, successor, now, grace →
/// {'rotated' | 'grace', user, csrf, lineage, token, expires} | {'reuse'} | {'invalid'}.
const REFRESH: &str = r"
local t = redis.call('HMGET', KEYS[2], 'gen', 'retired')
if not t[1] then return {'invalid'} end
local now = tonumber(ARGV[3])
if not live(KEYS[1], ARGV[1], now) then return {'invalid'} end
local f = redis.call('HMGET', KEYS[1], 'user', 'csrf', 'gen', 'current', 'expires', 'lineage')
if t[2] == '' then
  local gen = tonumber(f[3]) + 1
  redis.call('HSET', KEYS[2], 'retired', ARGV[3])
  redis.call('HSET', KEYS[1], 'gen', gen, 'current', ARGV[2])
  redis.call('HSET', KEYS[3], 'gen', gen, 'retired', '')
  redis.call('PEXPIREAT', KEYS[3], f[5])
  return {'rotated', f[1], f[2], f[6] or '', ARGV[2], f[5]}
end
-- Instances read their own clocks: a loser's `now` may be a little before the winner's.
local elapsed = math.max(0, now - tonumber(t[2]))
if tonumber(t[1]) + 1 == tonumber(f[3]) and elapsed < tonumber(ARGV[4]) then
  return {'grace', f[1], f[2], f[6] or '', f[4], f[5]}
end
redis.call('HSET', KEYS[1], 'revoked', 1)
return {'reuse'}
";

/// KEYS: family.
const REVOKE_FAMILY: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'revoked', 1) end
return 1
";

/// KEYS: serial, revoked_through, epoch (one slot). ARGV: also bump the epoch ('1' or '0').
const REVOKE_ACCESS: &str = r"
redis.call('SET', KEYS[2], redis.call('GET', KEYS[1]) or '0')
if ARGV[1] == '1' then redis.call('INCR', KEYS[3]) end
return 1
";

/// KEYS: family. ARGV: epoch → 1 while the family lives (whatever its expiry).
const FAMILY_LIVE: &str = r"
if live(KEYS[1], ARGV[1], nil) then return 1 end
return 0
";

/// KEYS: family. ARGV: jkt → the key the family was bound to before ('' if none). A family
/// that is gone stays gone.
const BIND: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return '' end
local old = redis.call('HGET', KEYS[1], 'jkt') or ''
redis.call('HSET', KEYS[1], 'jkt', ARGV[1])
return old
";

/// KEYS: nonce. ARGV: now, period, candidate, rotate now ('1' or '0') → {current, previous}.
/// The current nonce turns previous after `period` (or at once when told to rotate), the
/// candidate taking over; on a rotation asked for, the previous one is forgotten.
const NONCE: &str = r"
local n = redis.call('HMGET', KEYS[1], 'current', 'previous', 'since')
local now = tonumber(ARGV[1])
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 'current', ARGV[3], 'previous', '', 'since', now)
  return {ARGV[3], ''}
end
if not n[1] or now - tonumber(n[3]) >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'current', ARGV[3], 'previous', n[1] or '', 'since', now)
  return {ARGV[3], n[1] or ''}
end
return {n[1], n[2]}
";

/// KEYS: the key. ARGV: candidate → what the key holds, the candidate if it held nothing.
const SET_ONCE: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
";

/// One Redis (reconnecting by itself) or a cluster (following its slots by itself).
#[derive(Clone)]
enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(c) => c.req_packed_command(cmd),
            Connection::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Connection::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(c) => c.get_db(),
            Connection::Cluster(c) => c.get_db(),
        }
    }
}

/// The families and revocations in one Redis or one cluster, shared by every instance pointed
/// at it.
#[derive(Clone)]
pub struct RedisStore {
    connection: Connection,
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field(
                "cluster",
                &matches!(self.connection, Connection::Cluster(_)),
            )
            .finish_non_exhaustive()
    }
}

fn script(body: &str) -> Script {
    Script::new(&format!("{LIVE}{body}"))
}

/// The hex SHA-256 of a refresh token: the name it is stored under.
fn hashed(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn lineage(text: &str) -> Result<Vec<u64>, Unavailable> {
    text.split(',')
        .filter(|id| !id.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| Unavailable)
}

/// A slow answer is waited for (a script that committed must not be reported as failed for want
/// of patience); a lost connection is tried again a few times, quickly.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);

impl RedisStore {
    /// Connects to one Redis at `url` (`redis://127.0.0.1:6379`); every key starts with `prefix`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_number_of_retries(3)
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_with_config(client, config).await?;
        Ok(RedisStore {
            connection: Connection::Single(connection),
            prefix: prefix.to_owned(),
        })
    }

    /// Connects to the Redis Cluster that `nodes` (`redis://127.0.0.1:7000`, …) belong to;
    /// every key starts with `prefix`.
    pub async fn connect_cluster(
        nodes: &[String],
        prefix: &str,
    ) -> Result<Self, redis::RedisError> {
        let client = ClusterClient::builder(nodes.iter().map(String::as_str))
            .response_timeout(RESPONSE_TIMEOUT)
            .connection_timeout(CONNECTION_TIMEOUT)
            .retries(3)
            .max_retry_wait(500)
            .build()?;
        let connection = client.get_async_connection().await?;
        Ok(RedisStore {
            connection: Connection::Cluster(connection),
            prefix: prefix.to_owned(),
        })
    }

    /// `<prefix>{<id>}:family`.
    fn family_key(&self, id: u64) -> String {
        format!("{}{{{id}}}:family", self.prefix)
    }

    /// `<prefix>{<id>}:token:<h>`: the token's generation and retirement, beside its family.
    fn token_key(&self, id: u64, token: &str) -> String {
        format!("{}{{{id}}}:token:{}", self.prefix, hashed(token))
    }

    /// `<prefix>token:<h>`: which family the token belongs to.
    fn index_key(&self, token: &str) -> String {
        format!("{}token:{}", self.prefix, hashed(token))
    }

    /// `<prefix>{_}:<name>`: the counters, all in one slot.
    fn global_key(&self, name: &str) -> String {
        format!("{}{{_}}:{name}", self.prefix)
    }

    /// The signing key shared by every instance: `candidate` if none was stored yet.
    pub async fn signing_key(&self, candidate: &str) -> Result<String, redis::RedisError> {
        let key = format!("{}signing_key", self.prefix);
        let mut connection = self.connection.clone();
        Script::new(SET_ONCE)
            .key(key)
            .arg(candidate)
            .invoke_async(&mut connection)
            .await
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        body: &str,
        keys: &[&str],
        args: &[&str],
    ) -> Result<T, Unavailable> {
        let script = script(body);
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(*key);
        }
        for arg in args {
            invocation.arg(*arg);
        }
        let mut connection = self.connection.clone();
        Ok(invocation.invoke_async(&mut connection).await?)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, Unavailable> {
        let mut connection = self.connection.clone();
        Ok(redis::cmd("GET")
            .arg(key)
            .query_async(&mut connection)
            .await?)
    }

    /// The reset epoch: families of an older one are dead.
    async fn epoch(&self) -> Result<String, Unavailable> {
        Ok(self
            .get(&self.global_key("epoch"))
            .await?
            .unwrap_or_else(|| "0".to_owned()))
    }

    /// The family `token` was issued to, if it is known.
    async fn family_of(&self, token: &str) -> Result<Option<u64>, Unavailable> {
        match self.get(&self.index_key(token)).await? {
            Some(id) => id.parse().map(Some).map_err(|_| Unavailable),
            None => Ok(None),
        }
    }

    /// Files `token` under family `id` until `expires` (ms since the epoch).
    async fn index(&self, token: &str, id: u64, expires: &str) -> Result<(), Unavailable> {
        let mut connection = self.connection.clone();
        redis::cmd("SET")
            .arg(self.index_key(token))
            .arg(id)
            .arg("PXAT")
            .arg(expires)
            .query_async::<()>(&mut connection)
            .await?;
        Ok(())
    }

    async fn incr(&self, name: &str) -> Result<u64, Unavailable> {
        let mut connection = self.connection.clone();
        Ok(redis::cmd("INCR")
            .arg(self.global_key(name))
            .query_async(&mut connection)
            .await?)
    }

    /// Starts a family for `user` and returns its session; `replaced` is the family of the
    /// refresh cookie the browser presented, if any.
    pub async fn login(
        &self,
        user: &str,
        (token, csrf): (&str, &str),
        replaced: Option<u64>,
        now: Millis,
        ttl: Millis,
    ) -> Result<Session, Unavailable> {
        let expires = now.saturating_add(ttl).min(MAX_EXPIRY).to_string();
        let mut lineage = Vec::new();
        if let Some(replaced) = replaced {
            lineage.push(replaced);
            let mut connection = self.connection.clone();
            let older: Option<String> = redis::cmd("HGET")
                .arg(self.family_key(replaced))
                .arg("lineage")
                .query_async(&mut connection)
                .await?;
            let older = self::lineage(older.as_deref().unwrap_or_default())?;
            lineage.extend(older.into_iter().take(7));
        }
        let listed: Vec<String> = lineage.iter().map(u64::to_string).collect();
        let epoch = self.epoch().await?;
        let id = self.incr("next_family").await?;
        let (family, token_key) = (self.family_key(id), self.token_key(id, token));
        self.run::<i64>(
            LOGIN,
            &[&family, &token_key],
            &[&epoch, token, user, csrf, &expires, &listed.join(",")],
        )
        .await?;
        self.index(token, id, &expires).await?;
        Ok(Session {
            family: id,
            user: user.to_owned(),
            csrf: csrf.to_owned(),
            lineage,
        })
    }

    /// The family of a live or retired refresh token, while the family lives.
    pub async fn session_of(
        &self,
        token: &str,
        now: Millis,
    ) -> Result<Option<Session>, Unavailable> {
        let Some(id) = self.family_of(token).await? else {
            return Ok(None);
        };
        let epoch = self.epoch().await?;
        let (family, token_key) = (self.family_key(id), self.token_key(id, token));
        let fields: Option<Vec<String>> = self
            .run(SESSION, &[&family, &token_key], &[&epoch, &now.to_string()])
            .await?;
        match fields.as_deref() {
            None => Ok(None),
            Some([user, csrf, listed]) => Ok(Some(Session {
                family: id,
                user: user.clone(),
                csrf: csrf.clone(),
                lineage: lineage(listed)?,
            })),
            Some(_) => Err(Unavailable),
        }
    }

    /// Presents `token` for a refresh; `fresh` is the successor to issue if it rotates.
    pub async fn refresh(
        &self,
        token: &str,
        fresh: &str,
        now: Millis,
        grace: Millis,
    ) -> Result<Outcome, Unavailable> {
        let Some(id) = self.family_of(token).await? else {
            return Ok(Outcome::Invalid);
        };
        let epoch = self.epoch().await?;
        let keys = [
            self.family_key(id),
            self.token_key(id, token),
            self.token_key(id, fresh),
        ];
        let answer: Vec<String> = self
            .run(
                REFRESH,
                &[&keys[0], &keys[1], &keys[2]],
                &[&epoch, fresh, &now.to_string(), &grace.to_string()],
            )
            .await?;
        match answer.as_slice() {
            [kind, user, csrf, listed, token, expires] if kind == "rotated" || kind == "grace" => {
                let session = Session {
                    family: id,
                    user: user.clone(),
                    csrf: csrf.clone(),
                    lineage: lineage(listed)?,
                };
                let token = token.clone();
                Ok(if kind == "rotated" {
                    // Findable before anyone holds it: the answer carrying it is not sent yet.
                    self.index(&token, id, expires).await?;
                    Outcome::Rotated { session, token }
                } else {
                    Outcome::Grace { session, token }
                })
            }
            [kind] if kind == "reuse" => Ok(Outcome::ReuseDetected),
            [kind] if kind == "invalid" => Ok(Outcome::Invalid),
            _ => Err(Unavailable),
        }
    }

    /// Revokes family `id` at every instance.
    pub async fn revoke_family(&self, id: u64) -> Result<(), Unavailable> {
        self.run::<i64>(REVOKE_FAMILY, &[&self.family_key(id)], &[])
            .await?;
        Ok(())
    }

    async fn revoke_access(&self, reset: bool) -> Result<(), Unavailable> {
        let keys = ["serial", "revoked_through", "epoch"].map(|name| self.global_key(name));
        let reset = if reset { "1" } else { "0" };
        self.run::<i64>(REVOKE_ACCESS, &[&keys[0], &keys[1], &keys[2]], &[reset])
            .await?;
        Ok(())
    }

    /// Revokes every family and every access token issued so far.
    pub async fn revoke_all(&self) -> Result<(), Unavailable> {
        self.revoke_access(true).await
    }

    /// Revokes every access token issued so far.
    pub async fn revoke_access_tokens(&self) -> Result<(), Unavailable> {
        self.revoke_access(false).await
    }

    /// The serial of a new access token, its `jti`, unique across instances.
    pub async fn next_serial(&self) -> Result<u64, Unavailable> {
        self.incr("serial").await
    }

    /// Revokes one access token by its `jti`, for `ttl` (longer than any access token lives).
    pub async fn revoke_jti(&self, jti: &str, ttl: Millis) -> Result<(), Unavailable> {
        let mut connection = self.connection.clone();
        redis::cmd("SET")
            .arg(format!("{}jti:{jti}", self.prefix))
            .arg(1)
            .arg("PX")
            .arg(ttl.clamp(1, MAX_EXPIRY / 2))
            .query_async::<()>(&mut connection)
            .await?;
        Ok(())
    }

    /// Whether an access token of `family` with `jti` is still good.
    pub async fn access_live(&self, family: u64, jti: &str) -> Result<bool, Unavailable> {
        let Ok(serial) = jti.parse::<u64>() else {
            return Ok(false);
        };
        let revoked_through = self.get(&self.global_key("revoked_through")).await?;
        let revoked_through: u64 = revoked_through
            .as_deref()
            .unwrap_or("0")
            .parse()
            .map_err(|_| Unavailable)?;
        if serial <= revoked_through {
            return Ok(false);
        }
        if self
            .get(&format!("{}jti:{jti}", self.prefix))
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let epoch = self.epoch().await?;
        let live: i64 = self
            .run(FAMILY_LIVE, &[&self.family_key(family)], &[&epoch])
            .await?;
        Ok(live == 1)
    }

    /// DPoP: spends a proof's `jti` for key `jkt` until the proof could no longer be accepted
    /// (`ttl_ms`); false when it was spent already, at any instance. One `SET NX` with that TTL:
    /// Redis forgets it when it no longer matters.
    pub async fn spend_jti(&self, jkt: &str, jti: &str, ttl_ms: u64) -> Result<bool, Unavailable> {
        let mut connection = self.connection.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(format!("{}dpop:jti:{jkt}:{jti}", self.prefix))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms.max(1))
            .query_async(&mut connection)
            .await?;
        Ok(set.is_some())
    }

    /// DPoP: the server nonce every instance hands out and the one before it (empty: none),
    /// `candidate` taking over after `period_ms`, or at once with `rotate`.
    pub async fn nonces(
        &self,
        now_ms: i64,
        period_ms: i64,
        candidate: &str,
        rotate: bool,
    ) -> Result<(String, String), Unavailable> {
        let key = format!("{}dpop:nonce", self.prefix);
        let (now, period) = (now_ms.to_string(), period_ms.to_string());
        let args = [&*now, &*period, candidate, if rotate { "1" } else { "0" }];
        let answer: Vec<String> = self.run(NONCE, &[&key], &args).await?;
        match <[String; 2]>::try_from(answer) {
            Ok([current, previous]) => Ok((current, previous)),
            Err(_) => Err(Unavailable),
        }
    }

    /// DPoP: the thumbprint of the key family `id` is bound to, kept beside the family.
    pub async fn bound_key(&self, id: u64) -> Result<Option<String>, Unavailable> {
        let mut connection = self.connection.clone();
        Ok(redis::cmd("HGET")
            .arg(self.family_key(id))
            .arg("jkt")
            .query_async(&mut connection)
            .await?)
    }

    /// DPoP: binds family `id` to `jkt`; true when that replaces another key.
    pub async fn bind(&self, id: u64, jkt: &str) -> Result<bool, Unavailable> {
        let old: String = self.run(BIND, &[&self.family_key(id)], &[jkt]).await?;
        Ok(!old.is_empty() && old != jkt)
    }
}

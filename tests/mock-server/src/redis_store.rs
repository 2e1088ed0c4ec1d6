//! The store of [`crate::store`] kept in Redis, so several server instances share it.
//!
//! Every step that reads and then writes is one Lua script, which Redis runs atomically: two
//! instances presenting the same refresh token at once cannot both rotate it.
//!
//! Keys, all under a prefix (`tk:` by default, `--redis-prefix`):
//!
//! | key | type | holds | expires |
//! |---|---|---|---|
//! | `family:<id>` | hash | `user`, `csrf`, `gen`, `current`, `expires`, `epoch`, `revoked`, `lineage` (the ids of the families its login replaced, newest first) | with the family |
//! | `token:<sha1 of the refresh token>` | hash | `family`, `gen`, `retired` (ms, or empty) | with the family |
//! | `next_family`, `serial` | counter | the last family id; the last access token's `jti` | never |
//! | `revoked_through` | integer | access tokens with a `jti` at or below it are revoked | never |
//! | `jti:<jti>` | string | an access token revoked one by one | after the refresh TTL |
//! | `epoch` | counter | bumped by a reset: families of an older epoch are dead | never |
//! | `signing_key` | string | the HS256 key every instance signs and checks with | never |
//!
//! Refresh tokens are looked up by their SHA-1 (256 random bits: no preimage to find), so a dump
//! of the index hands out no live token; the family keeps its one live token in `current`
//! because the grace rule hands it to a late tab.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use crate::store::{Millis, Outcome, Session, MAX_EXPIRY};

/// Redis failed or answered something this server did not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;

impl From<redis::RedisError> for Unavailable {
    fn from(_: redis::RedisError) -> Self {
        Unavailable
    }
}

/// Shared by the scripts: `live(family key)` says whether that family may still be used.
const LIVE: &str = r"
local p = ARGV[1]
local function live(fk, now)
  local f = redis.call('HMGET', fk, 'revoked', 'epoch', 'expires')
  if not f[1] or f[1] ~= '0' then return false end
  if f[2] ~= (redis.call('GET', p .. 'epoch') or '0') then return false end
  return now == nil or now < tonumber(f[3])
end
";

/// ARGV: prefix, token, user, csrf, expires, replaced family id or '' →
/// {family, user, csrf, lineage} of the new family.
const LOGIN: &str = r"
local id = redis.call('INCR', p .. 'next_family')
local fk = p .. 'family:' .. id
local epoch = redis.call('GET', p .. 'epoch') or '0'
local lineage = {}
if ARGV[6] ~= '' then
  table.insert(lineage, ARGV[6])
  local older = redis.call('HGET', p .. 'family:' .. ARGV[6], 'lineage') or ''
  for old in string.gmatch(older, '[^,]+') do
    if #lineage < 8 then table.insert(lineage, old) end
  end
end
redis.call('HSET', fk, 'user', ARGV[3], 'csrf', ARGV[4], 'gen', 0, 'current', ARGV[2],
  'expires', ARGV[5], 'epoch', epoch, 'revoked', 0, 'lineage', table.concat(lineage, ','))
redis.call('PEXPIREAT', fk, ARGV[5])
local tk = p .. 'token:' .. redis.sha1hex(ARGV[2])
redis.call('HSET', tk, 'family', id, 'gen', 0, 'retired', '')
redis.call('PEXPIREAT', tk, ARGV[5])
return {tostring(id), ARGV[3], ARGV[4], table.concat(lineage, ',')}
";

/// ARGV: prefix, token, now → {family, user, csrf, lineage} while the family lives, else nil.
const SESSION: &str = r"
local id = redis.call('HGET', p .. 'token:' .. redis.sha1hex(ARGV[2]), 'family')
if not id then return false end
local fk = p .. 'family:' .. id
if not live(fk, tonumber(ARGV[3])) then return false end
local f = redis.call('HMGET', fk, 'user', 'csrf', 'lineage')
return {id, f[1], f[2], f[3] or ''}
";

/// ARGV: prefix, token, fresh, now, grace →
/// {'rotated' | 'grace', family, user, csrf, lineage, token} | {'reuse'} | {'invalid'}.
const REFRESH: &str = r"
local tk = p .. 'token:' .. redis.sha1hex(ARGV[2])
local t = redis.call('HMGET', tk, 'family', 'gen', 'retired')
if not t[1] then return {'invalid'} end
local fk = p .. 'family:' .. t[1]
local now = tonumber(ARGV[4])
if not live(fk, now) then return {'invalid'} end
local f = redis.call('HMGET', fk, 'user', 'csrf', 'gen', 'current', 'expires', 'lineage')
if t[3] == '' then
  local gen = tonumber(f[3]) + 1
  redis.call('HSET', tk, 'retired', ARGV[4])
  redis.call('HSET', fk, 'gen', gen, 'current', ARGV[3])
  local nk = p .. 'token:' .. redis.sha1hex(ARGV[3])
  redis.call('HSET', nk, 'family', t[1], 'gen', gen, 'retired', '')
  redis.call('PEXPIREAT', nk, f[5])
  return {'rotated', t[1], f[1], f[2], f[6] or '', ARGV[3]}
end
-- Instances read their own clocks: a loser's `now` may be a little before the winner's.
local elapsed = math.max(0, now - tonumber(t[3]))
if tonumber(t[2]) + 1 == tonumber(f[3]) and elapsed < tonumber(ARGV[5]) then
  return {'grace', t[1], f[1], f[2], f[6] or '', f[4]}
end
redis.call('HSET', fk, 'revoked', 1)
return {'reuse'}
";

/// ARGV: prefix, family id.
const REVOKE_FAMILY: &str = r"
local fk = p .. 'family:' .. ARGV[2]
if redis.call('EXISTS', fk) == 1 then redis.call('HSET', fk, 'revoked', 1) end
return 1
";

/// ARGV: prefix, also bump the epoch ('1' or '0').
const REVOKE_ACCESS: &str = r"
redis.call('SET', p .. 'revoked_through', redis.call('GET', p .. 'serial') or '0')
if ARGV[2] == '1' then redis.call('INCR', p .. 'epoch') end
return 1
";

/// ARGV: prefix, family, jti → 1 while the token is not revoked.
const ACCESS_LIVE: &str = r"
local serial = tonumber(ARGV[3])
if not serial or serial <= tonumber(redis.call('GET', p .. 'revoked_through') or '0') then
  return 0
end
if redis.call('EXISTS', p .. 'jti:' .. ARGV[3]) == 1 then return 0 end
if not live(p .. 'family:' .. ARGV[2], nil) then return 0 end
return 1
";

/// The families and revocations in one Redis, shared by every instance pointed at it.
#[derive(Clone)]
pub struct RedisStore {
    /// Reconnects by itself after Redis restarts or a connection drops.
    connection: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn script(body: &str) -> Script {
    Script::new(&format!("{LIVE}{body}"))
}

fn session(fields: &[String]) -> Result<Session, Unavailable> {
    match fields {
        [family, user, csrf, lineage] => Ok(Session {
            family: family.parse().map_err(|_| Unavailable)?,
            user: user.clone(),
            csrf: csrf.clone(),
            lineage: lineage
                .split(',')
                .filter(|id| !id.is_empty())
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|_| Unavailable)?,
        }),
        _ => Err(Unavailable),
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://127.0.0.1:6379`); every key starts with `prefix`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        // A slow answer is waited for (a script that committed must not be reported as failed
        // for want of patience); a lost connection is tried again a few times, quickly.
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(Duration::from_secs(10)))
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(3)
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_with_config(client, config).await?;
        Ok(RedisStore {
            connection,
            prefix: prefix.to_owned(),
        })
    }

    /// The signing key shared by every instance: `candidate` if none was stored yet.
    pub async fn signing_key(&self, candidate: &str) -> Result<String, redis::RedisError> {
        let key = format!("{}signing_key", self.prefix);
        let mut connection = self.connection.clone();
        let (_, stored): (Option<String>, String) = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(&key)
            .arg(candidate)
            .arg("NX")
            .cmd("GET")
            .arg(&key)
            .query_async(&mut connection)
            .await?;
        Ok(stored)
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        body: &str,
        args: &[&str],
    ) -> Result<T, Unavailable> {
        let script = script(body);
        let mut invocation = script.prepare_invoke();
        invocation.arg(&self.prefix);
        for arg in args {
            invocation.arg(*arg);
        }
        let mut connection = self.connection.clone();
        Ok(invocation.invoke_async(&mut connection).await?)
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
        let replaced = replaced.map(|id| id.to_string()).unwrap_or_default();
        let fields: Vec<String> = self
            .run(LOGIN, &[token, user, csrf, &expires, &replaced])
            .await?;
        session(&fields)
    }

    /// The family of a live or retired refresh token, while the family lives.
    pub async fn session_of(
        &self,
        token: &str,
        now: Millis,
    ) -> Result<Option<Session>, Unavailable> {
        let fields: Option<Vec<String>> = self.run(SESSION, &[token, &now.to_string()]).await?;
        fields.as_deref().map(session).transpose()
    }

    /// Presents `token` for a refresh; `fresh` is the successor to issue if it rotates.
    pub async fn refresh(
        &self,
        token: &str,
        fresh: &str,
        now: Millis,
        grace: Millis,
    ) -> Result<Outcome, Unavailable> {
        let answer: Vec<String> = self
            .run(
                REFRESH,
                &[token, fresh, &now.to_string(), &grace.to_string()],
            )
            .await?;
        match answer.split_first() {
            Some((kind, [rest @ .., token])) if kind == "rotated" || kind == "grace" => {
                let session = session(rest)?;
                let token = token.clone();
                Ok(if kind == "rotated" {
                    Outcome::Rotated { session, token }
                } else {
                    Outcome::Grace { session, token }
                })
            }
            Some((kind, [])) if kind == "reuse" => Ok(Outcome::ReuseDetected),
            Some((kind, [])) if kind == "invalid" => Ok(Outcome::Invalid),
            _ => Err(Unavailable),
        }
    }

    /// Revokes family `id` at every instance.
    pub async fn revoke_family(&self, id: u64) -> Result<(), Unavailable> {
        self.run::<i64>(REVOKE_FAMILY, &[&id.to_string()]).await?;
        Ok(())
    }

    /// Revokes every family and every access token issued so far.
    pub async fn revoke_all(&self) -> Result<(), Unavailable> {
        self.run::<i64>(REVOKE_ACCESS, &["1"]).await?;
        Ok(())
    }

    /// Revokes every access token issued so far.
    pub async fn revoke_access_tokens(&self) -> Result<(), Unavailable> {
        self.run::<i64>(REVOKE_ACCESS, &["0"]).await?;
        Ok(())
    }

    /// The serial of a new access token, its `jti`, unique across instances.
    pub async fn next_serial(&self) -> Result<u64, Unavailable> {
        let mut connection = self.connection.clone();
        let serial: u64 = redis::cmd("INCR")
            .arg(format!("{}serial", self.prefix))
            .query_async(&mut connection)
            .await?;
        Ok(serial)
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
        let live: i64 = self.run(ACCESS_LIVE, &[&family.to_string(), jti]).await?;
        Ok(live == 1)
    }
}

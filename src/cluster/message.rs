//! The messages the shop's nodes exchange, and the outcome of a request.
//!
//! Owns the HTTP-level vocabulary of the model: pages a shopper asks for,
//! session cookies, statuses, and the cause a failed request carries so that a
//! reader can always see why it failed. Never holds behaviour.

use super::autoscaler::AutoscaleMsg;
use super::cdn::CdnMsg;
use super::dns::DnsMsg;
use super::dr::DrMsg;
use super::gateway::GatewayMsg;
use super::http_cache::HttpCacheMsg;
use super::inventory::InventoryMsg;
use super::mq::MqMsg;
use super::mycat::MycatMsg;
use super::product_cache::CacheMsg;
use super::redis::RedisMsg;
use super::registry::RegistryMsg;
use super::replication::MysqlMsg;
use super::rpc::RpcMsg;
use super::session_store::SessionMsg;
use super::two_phase::TpcMsg;
use super::vrrp::VrrpMsg;
use super::zk_lock::ZkMsg;
use crate::sim::{Message, NodeId};
use serde::{Deserialize, Serialize};

/// The page (or API call) a request is for, in the order of a shopping journey.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Page {
    Home,
    Search,
    Detail,
    AddToCart,
    Order,
    Pay,
    Login,
}

impl Page {
    /// The journey of the source text: browse, search, read the detail page
    /// and comments, add to cart, order, pay.
    pub const JOURNEY: [Page; 6] = [Page::Home, Page::Search, Page::Detail, Page::AddToCart, Page::Order, Page::Pay];

    /// GETs may be retried on another server; POSTs may not once sent.
    pub const fn is_idempotent(self) -> bool {
        matches!(self, Page::Home | Page::Search | Page::Detail)
    }

    /// Pages that only a logged-in shopper may use.
    pub const fn needs_session(self) -> bool {
        matches!(self, Page::AddToCart | Page::Order | Page::Pay)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Page::Home => "home",
            Page::Search => "search",
            Page::Detail => "detail",
            Page::AddToCart => "cart",
            Page::Order => "order",
            Page::Pay => "pay",
            Page::Login => "login",
        }
    }
}

/// A Tomcat session cookie: `JSESSIONID=<id>.<route>`. The route names the
/// server that created it (Tomcat's jvmRoute), which sticky balancing uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SessionCookie {
    pub id: u32,
    pub route: NodeId,
}

/// An HTTP request as it travels shopper → balancer → app server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HttpRequest {
    /// Unique per sender (the shopper's own id, or the balancer's proxy id).
    pub id: u32,
    pub page: Page,
    pub session: Option<SessionCookie>,
    /// Which shopper of the sending pool (for following one shopper).
    pub shopper: u16,
    /// The shopper pool that sent it: the client's address, which routers on
    /// the way preserve (what ip_hash and source persistence key on).
    pub client: NodeId,
    /// The product a detail page is for (`/item/{id}`: the link the shopper
    /// clicked); 0 when the page names none.
    pub product: u32,
}

/// Why a request did not succeed. Every failure names a node and a cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailCause {
    /// The server's process was down: the connection was refused.
    Refused,
    /// No answer in time (the node may be paused, cut off or overloaded).
    TimedOut,
    /// Every upstream is marked failed: nothing to send it to.
    NoLiveUpstream,
    /// The server's workers and accept queue were full.
    Overloaded,
    /// The session cookie names a session this server does not have.
    SessionNotFound,
    /// The session existed but had timed out.
    SessionExpired,
    /// The shop's name did not resolve (resolver down, SERVFAIL, no record).
    DnsLookupFailed,
    /// A write reached a database that is read-only (a replica).
    DatabaseReadOnly,
    /// The central session store (Redis) refused, failed or did not answer in
    /// time: the page needs a session and none could be read or written.
    SessionStoreUnavailable,
    /// The gateway's rate limiter refused the call (429, or 503 fail-closed).
    RateLimited,
    /// The gateway found no valid token on a route that needs a login (401).
    Unauthorized,
    /// A back-end call did not answer in time: it may or may not have run.
    UpstreamTimeout,
    /// No instance of the service was in the caller's list.
    NoProvider,
    /// Fewer units left than ordered.
    OutOfStock,
    /// The order's transaction was aborted (a vote timed out, a participant was down).
    TxnAborted,
    /// The database (MyCat, a MySQL shard, the stock table) failed or did not answer.
    DatabaseUnavailable,
    /// The stock lock could not be had in time (row lock wait, ZooKeeper lock lost).
    LockTimeout,
    /// The store refused a write whose fencing token was stale.
    StaleLock,
    /// A CDN edge could not get the asset from the origin (502 / 504).
    CdnOriginFailed,
}

impl FailCause {
    pub const ALL: [FailCause; 19] = [
        Self::Refused,
        Self::TimedOut,
        Self::NoLiveUpstream,
        Self::Overloaded,
        Self::SessionNotFound,
        Self::SessionExpired,
        Self::DnsLookupFailed,
        Self::DatabaseReadOnly,
        Self::SessionStoreUnavailable,
        Self::RateLimited,
        Self::Unauthorized,
        Self::UpstreamTimeout,
        Self::NoProvider,
        Self::OutOfStock,
        Self::TxnAborted,
        Self::DatabaseUnavailable,
        Self::LockTimeout,
        Self::StaleLock,
        Self::CdnOriginFailed,
    ];

    /// The name of the counter of failures with this cause.
    pub const fn metric_name(self) -> &'static str {
        match self {
            Self::Refused => "failed-refused",
            Self::TimedOut => "failed-timed-out",
            Self::NoLiveUpstream => "failed-no-live-upstream",
            Self::Overloaded => "failed-overloaded",
            Self::SessionNotFound => "failed-session-not-found",
            Self::SessionExpired => "failed-session-expired",
            Self::DnsLookupFailed => "failed-dns-lookup",
            Self::DatabaseReadOnly => "failed-database-read-only",
            Self::SessionStoreUnavailable => "failed-session-store-unavailable",
            Self::RateLimited => "failed-rate-limited",
            Self::Unauthorized => "failed-unauthorized",
            Self::UpstreamTimeout => "failed-upstream-timeout",
            Self::NoProvider => "failed-no-provider",
            Self::OutOfStock => "failed-out-of-stock",
            Self::TxnAborted => "failed-txn-aborted",
            Self::DatabaseUnavailable => "failed-database-unavailable",
            Self::LockTimeout => "failed-lock-timeout",
            Self::StaleLock => "failed-stale-lock",
            Self::CdnOriginFailed => "failed-cdn-origin",
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Refused => "connection refused",
            Self::TimedOut => "timed out",
            Self::NoLiveUpstream => "no live upstream",
            Self::Overloaded => "server overloaded",
            Self::SessionNotFound => "session not found",
            Self::SessionExpired => "session expired",
            Self::DnsLookupFailed => "DNS lookup failed",
            Self::DatabaseReadOnly => "database is read-only",
            Self::SessionStoreUnavailable => "session store unavailable",
            Self::RateLimited => "rate limited at the gateway",
            Self::Unauthorized => "not logged in (no valid token)",
            Self::UpstreamTimeout => "back end did not answer in time (outcome unknown)",
            Self::NoProvider => "no instance of the service available",
            Self::OutOfStock => "out of stock",
            Self::TxnAborted => "order transaction aborted",
            Self::DatabaseUnavailable => "database unavailable",
            Self::LockTimeout => "stock lock not obtained in time",
            Self::StaleLock => "stock write refused: stale lock token",
            Self::CdnOriginFailed => "the CDN edge could not fetch it from the origin",
        }
    }
}

/// The HTTP status of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    /// 200: served.
    Ok,
    /// 302 to the login page: no usable session.
    LoginRedirect,
    /// 500: the server failed while handling it (e.g. its session store).
    InternalError,
    /// 502 bad gateway: the balancer could not get an answer.
    BadGateway,
    /// 503: overloaded, try later.
    Unavailable,
    /// 504: the upstream did not answer in time.
    GatewayTimeout,
    /// 401: the API gateway wants a valid token.
    Unauthorized,
    /// 409: the back end refused the business operation (out of stock, aborted).
    Conflict,
    /// 429: the API gateway's rate limiter refused the call.
    TooManyRequests,
}

impl Status {
    pub const fn code(self) -> u16 {
        match self {
            Self::Ok => 200,
            Self::LoginRedirect => 302,
            Self::InternalError => 500,
            Self::BadGateway => 502,
            Self::Unavailable => 503,
            Self::GatewayTimeout => 504,
            Self::Unauthorized => 401,
            Self::Conflict => 409,
            Self::TooManyRequests => 429,
        }
    }
}

/// An HTTP response, travelling back the way its request came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HttpResponse {
    /// The id of the request it answers (the receiver's own id space).
    pub id: u32,
    pub status: Status,
    /// Set-Cookie on login; otherwise the cookie the request carried.
    pub session: Option<SessionCookie>,
    /// For failures: where it failed and why.
    pub failure: Option<(NodeId, FailCause)>,
}

/// Every message in the model: the shopper's HTTP journey, and each
/// mechanism's own protocol, wrapped so that one kernel carries them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    Request(HttpRequest),
    Response(HttpResponse),
    HttpCache(HttpCacheMsg),
    Cdn(CdnMsg),
    Dns(DnsMsg),
    Vrrp(VrrpMsg),
    Gateway(GatewayMsg),
    Rpc(RpcMsg),
    Registry(RegistryMsg),
    Cache(CacheMsg),
    Zk(ZkMsg),
    Inventory(InventoryMsg),
    Tpc(TpcMsg),
    Mq(MqMsg),
    Mysql(MysqlMsg),
    Mycat(MycatMsg),
    Redis(RedisMsg),
    Autoscale(AutoscaleMsg),
    Dr(DrMsg),
    Session(SessionMsg),
}

/// `From<XMsg> for Msg` for every mechanism's message type, so their
/// handlers (generic over `M: From<XMsg>`) run inside the whole cluster.
macro_rules! wrap_messages {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(impl From<$ty> for Msg {
            fn from(m: $ty) -> Self {
                Msg::$variant(m)
            }
        })*

        impl Msg {
            /// The label of a mechanism's message (None for the journey's HTTP).
            fn mechanism_label(&self) -> Option<&'static str> {
                match self {
                    $(Msg::$variant(m) => Some(m.label()),)*
                    Msg::Request(_) | Msg::Response(_) => None,
                }
            }
        }
    };
}

wrap_messages!(
    HttpCache(HttpCacheMsg),
    Cdn(CdnMsg),
    Dns(DnsMsg),
    Vrrp(VrrpMsg),
    Gateway(GatewayMsg),
    Rpc(RpcMsg),
    Registry(RegistryMsg),
    Cache(CacheMsg),
    Zk(ZkMsg),
    Inventory(InventoryMsg),
    Tpc(TpcMsg),
    Mq(MqMsg),
    Mysql(MysqlMsg),
    Mycat(MycatMsg),
    Redis(RedisMsg),
    Autoscale(AutoscaleMsg),
    Dr(DrMsg),
    Session(SessionMsg),
);

impl Message for Msg {
    fn class(&self) -> u8 {
        self.dot_class() as u8
    }

    fn label(&self) -> &'static str {
        if let Some(label) = self.mechanism_label() {
            return label;
        }
        match self {
            Msg::Request(r) => r.page.as_str(),
            Msg::Response(r) => match r.status {
                Status::Ok => "200",
                Status::LoginRedirect => "302-login",
                Status::InternalError => "500",
                Status::BadGateway => "502",
                Status::Unavailable => "503",
                Status::GatewayTimeout => "504",
                Status::Unauthorized => "401",
                Status::Conflict => "409",
                Status::TooManyRequests => "429",
            },
            _ => "message",
        }
    }
}

// How a message looks as a dot lives in its own file (the size limit).
mod dot;
pub use dot::DotClass;

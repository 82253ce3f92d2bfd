//! The gateway's route table and token check.
//!
//! Owns what a route is (a `Path=<prefix>/**` predicate, the service it leads
//! to, the RPC method it becomes, whether it needs a login), the shop's
//! default table, Spring Cloud Gateway's path matching, and the bearer token
//! the gateway verifies by itself (a signature over the user, no call to the
//! user service). Never routes a request: the gateway does.

use crate::cluster::registry::ServiceKind;
use crate::cluster::rpc::Method;
use crate::sim::rng::mix64;

/// One route: `Path=<prefix>/**` → `lb://<service>`, called as `method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteRule {
    pub prefix: &'static str,
    pub service: ServiceKind,
    pub method: Method,
    /// Requires a valid token (the shop's order and pay routes).
    pub needs_auth: bool,
}

const fn rule(prefix: &'static str, service: ServiceKind, method: Method, needs_auth: bool) -> RouteRule {
    RouteRule { prefix, service, method, needs_auth }
}

/// The shop's routes, most specific first (first match wins, as in SCG).
pub const DEFAULT_ROUTES: [RouteRule; 7] = [
    rule("/api/product/search", ServiceKind::Product, Method::SearchProducts, false),
    rule("/api/product", ServiceKind::Product, Method::GetProduct, false),
    rule("/api/inventory", ServiceKind::Inventory, Method::GetStock, false),
    rule("/api/order", ServiceKind::Order, Method::CreateOrder, true),
    rule("/api/pay", ServiceKind::Payment, Method::Pay, true),
    rule("/api/notify", ServiceKind::Notification, Method::Notify, false),
    rule("/api/user", ServiceKind::User, Method::Login, false),
];

/// `Path=/api/order/**` matches `/api/order` and `/api/order/…`, not `/api/orders`.
pub fn path_matches(prefix: &str, path: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A bearer token: a user and a signature the gateway can check without
/// asking anyone (a JWT in miniature).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AuthToken {
    pub user: u16,
    pub signature: u16,
}

impl AuthToken {
    /// The token the user service issues for `user` under `secret`.
    pub const fn issue(secret: u64, user: u16) -> Self {
        Self { user, signature: mix64(secret ^ user as u64) as u16 }
    }

    pub const fn is_valid(self, secret: u64) -> bool {
        self.signature == Self::issue(secret, self.user).signature
    }
}

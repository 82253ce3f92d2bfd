//! The sessions snippet: where a logged-in shopper's session lives, as Tomcat or Spring Boot writes it.
//!
//! Owns the four answers of the `session-store` switch: memory (Tomcat's
//! StandardManager, nothing to configure), sticky (a `jvmRoute` per Tomcat,
//! with the balancer's stickiness in the balancer tab), replicated (the
//! `<Cluster>` element with DeltaManager and McastService's `frequency` and
//! `dropTime` from the model's `SessionConfig`), and Redis (Spring Session's
//! properties with the 1800 s timeout and the Redis or Sentinel the Tomcats
//! use). Never writes the balancer's side.

use super::facts::Facts;
use super::{Snippet, comment, header, millis, secs};
use crate::cluster::app_server::SessionConfig;
use crate::cluster::design::Design;
use crate::cluster::redis::SESSION_TTL_MS;
use crate::cluster::session_store::{SESSION_TIMEOUT_US, SessionStoreKind};
use crate::sim::{MINUTE_US, MS};
use std::fmt::Write;

const SWITCHES: [&str; 1] = ["session-store"];

pub fn snippet(design: &Design, facts: &Facts) -> Snippet {
    let config = facts.apps.first().map(|(_, c)| c.clone()).unwrap_or_default();
    match design.session_store {
        SessionStoreKind::Redis => Snippet {
            id: "sessions",
            title: "Spring Session (Redis)",
            language: "properties",
            text: redis_text(design, facts, &config),
        },
        store => Snippet {
            id: "sessions",
            title: "Tomcat sessions",
            language: "xml",
            text: tomcat_text(design, facts, store, &config),
        },
    }
}

fn tomcat_text(design: &Design, facts: &Facts, store: SessionStoreKind, config: &SessionConfig) -> String {
    let c = |text: &str| comment("xml", text) + "\n";
    let mut out = header("xml", design, &SWITCHES);
    let _ = write!(
        out,
        "{}<session-config>\n    <session-timeout>{}</session-timeout>\n</session-config>\n\n",
        c("web.xml: sessions expire after this many idle minutes (Tomcat's default)"),
        SESSION_TIMEOUT_US / MINUTE_US
    );
    match store {
        SessionStoreKind::Memory => {
            out.push_str(&c("memory: context.xml keeps Tomcat's default manager; nothing to add. Sessions live in"));
            out.push_str(&c("the JVM's heap and die with it, and the balancer is not sticky, so a shopper whose"));
            out.push_str(&c("next request reaches the other Tomcat is sent back to login."));
            out.push_str(&c("context.xml: Tomcat's default manager, written out"));
            out.push_str("<Manager className=\"org.apache.catalina.session.StandardManager\" />\n");
        }
        SessionStoreKind::Sticky => {
            out.push_str(&c(
                "sticky: server.xml names each Tomcat; its sessions end in .<jvmRoute>, which the balancer",
            ));
            out.push_str(&c("follows (balancer tab). Still in one JVM's memory: a crash loses them."));
            out.push_str(&engines(facts));
            out.push_str(&c("context.xml: Tomcat's default manager, written out"));
            out.push_str("<Manager className=\"org.apache.catalina.session.StandardManager\" />\n");
        }
        SessionStoreKind::Replicated => out.push_str(&cluster_element(facts, config)),
        SessionStoreKind::Redis => {}
    }
    out
}

/// One `<Engine jvmRoute>` line per Tomcat.
fn engines(facts: &Facts) -> String {
    let mut out = comment("xml", "only the jvmRoute attribute of each Engine is new; the rest stays as it is") + "\n";
    for (name, _) in &facts.apps {
        let _ = writeln!(
            out,
            "<!-- {name}'s server.xml -->\n<Engine name=\"Catalina\" defaultHost=\"localhost\" jvmRoute=\"{name}\">"
        );
    }
    out
}

fn cluster_element(facts: &Facts, config: &SessionConfig) -> String {
    let c = |text: &str| comment("xml", text) + "\n";
    let mut out = c("replicated: web.xml also needs <distributable/>. Sticky as Tomcat's cluster docs advise");
    out += &c("(jvmRoute below, route in the balancer tab); each change is copied to every other member,");
    out += &c("asynchronously (channelSendOptions 8): a change still queued when its Tomcat dies is lost.");
    out += &engines(facts);
    let _ = write!(
        out,
        "<Cluster className=\"org.apache.catalina.ha.tcp.SimpleTcpCluster\" channelSendOptions=\"8\">\n  \
         <Manager className=\"org.apache.catalina.ha.session.DeltaManager\"\n           \
         expireSessionsOnShutdown=\"false\" notifyListenersOnReplication=\"true\"\n           \
         stateTransferTimeout=\"{}\" />\n  \
         <Channel className=\"org.apache.catalina.tribes.group.GroupChannel\">\n    \
         {}\n    \
         <Membership className=\"org.apache.catalina.tribes.membership.McastService\"\n                \
         address=\"228.0.0.4\" port=\"45564\" frequency=\"{}\" dropTime=\"{}\" />\n    \
         <Receiver className=\"org.apache.catalina.tribes.transport.nio.NioReceiver\"\n              \
         address=\"auto\" port=\"4000\" autoBind=\"100\" selectorTimeout=\"5000\" maxThreads=\"6\" />\n    \
         <Sender className=\"org.apache.catalina.tribes.transport.ReplicationTransmitter\">\n      \
         <Transport className=\"org.apache.catalina.tribes.transport.nio.PooledParallelSender\" />\n    \
         </Sender>\n    \
         <Interceptor className=\"org.apache.catalina.tribes.group.interceptors.TcpFailureDetector\" />\n    \
         <Interceptor className=\"org.apache.catalina.tribes.group.interceptors.MessageDispatchInterceptor\" />\n  \
         </Channel>\n  \
         <Valve className=\"org.apache.catalina.ha.tcp.ReplicationValve\" filter=\"\" />\n  \
         <Valve className=\"org.apache.catalina.ha.session.JvmRouteBinderValve\" />\n  \
         <ClusterListener className=\"org.apache.catalina.ha.session.ClusterSessionListener\" />\n\
         </Cluster>\n",
        secs(config.state_transfer_timeout_us),
        comment(
            "xml",
            &format!(
                "every Tomcat announces itself each {} ms; one silent for {} ms is dropped",
                millis(config.membership_frequency_us),
                millis(config.member_drop_us)
            )
        ),
        millis(config.membership_frequency_us),
        millis(config.member_drop_us),
    );
    out
}

fn redis_text(design: &Design, facts: &Facts, config: &SessionConfig) -> String {
    let mut out = header("properties", design, &SWITCHES);
    out.push_str(
        "# redis: application.properties of every Tomcat's app (spring-session-data-redis on the classpath).\n\
         # The Tomcats keep nothing; Redis holds every session and becomes what must not fail.\n\
         # Spring Boot 2.x reads the next line; Spring Boot 3 dropped it and picks Redis by itself.\n\
         spring.session.store-type=redis\n",
    );
    let _ = writeln!(out, "spring.session.timeout={}s", u64::from(SESSION_TTL_MS) * MS / crate::sim::SEC);
    let _ = writeln!(
        out,
        "# Fail fast when Redis is silent (Lettuce would wait 60 s): the page fails, nothing is served\n\
         # without its session.\nspring.data.redis.timeout={}ms",
        millis(config.store_timeout_us)
    );
    let redis = facts.redis.clone().unwrap_or_else(|| "redis".to_string());
    if facts.sentinels.is_empty() {
        let _ = writeln!(
            out,
            "# One Redis, as this topology runs it. (Spring Boot 2.x spells these spring.redis.*)\n\
             spring.data.redis.host={redis}\nspring.data.redis.port=6379\n\
             # With Sentinel, replace host and port by:\n\
             # spring.data.redis.sentinel.master=mymaster\n\
             # spring.data.redis.sentinel.nodes=sentinel-1:26379,sentinel-2:26379,sentinel-3:26379"
        );
    } else {
        let nodes: Vec<String> = facts.sentinels.iter().map(|s| format!("{s}:26379")).collect();
        let _ = writeln!(
            out,
            "# The master is asked of the sentinels, so a failover moves the sessions with it.\n\
             # (Spring Boot 2.x spells these spring.redis.*) The sentinels monitor {redis} as mymaster.\n\
             spring.data.redis.sentinel.master=mymaster\n\
             spring.data.redis.sentinel.nodes={}",
            nodes.join(",")
        );
    }
    out
}

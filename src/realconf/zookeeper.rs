//! The ZooKeeper snippet: the stock lock in Java with Curator, and the store's fencing check.
//!
//! Owns the inventory service's purchase as the `lock` switch has it: off
//! (the unprotected read-modify-write, with why it oversells), the lock
//! (`InterProcessMutex` on the model's lock path, the session timeout the
//! model's lock client asks and the limits the server clamps it to) and,
//! with fencing, the token taken from the lock node's sequence number, passed
//! with every read and write, and checked by the stock store. Never writes
//! anything the model does not do.

use super::facts::{Facts, LockFacts};
use super::{Snippet, header, millis};
use crate::cluster::design::{Design, LockDesign};
use crate::cluster::zk_lock::LOCK_PATH;
use std::fmt::Write;

const SWITCHES: [&str; 1] = ["lock"];

pub fn snippet(design: &Design, facts: &Facts) -> Snippet {
    let mut text = header("java", design, &SWITCHES);
    if let Some(lock) = &facts.lock {
        match design.lock {
            LockDesign::Off => text.push_str(&unprotected(lock)),
            LockDesign::Lock | LockDesign::LockWithFencing => {
                text.push_str(&client(lock));
                text.push_str(&purchase(lock, design.lock == LockDesign::LockWithFencing));
            }
        }
    }
    Snippet { id: "zookeeper", title: "ZooKeeper lock (Curator)", language: "java", text }
}

fn unprotected(lock: &LockFacts) -> String {
    format!(
        "// lock=off: {} read, compute and write the stock with nothing between them. Two buyers can\n\
         // both read 1 unit left, both write 0 and both sell: the flash sale oversells.\n\
         int units = jdbc.queryForObject(\"SELECT units FROM stock WHERE product_id = ?\", Integer.class, product);\n\
         if (units >= qty) {{\n    \
         // ... business logic: another buyer can read the same units meanwhile ...\n    \
         jdbc.update(\"UPDATE stock SET units = ? WHERE product_id = ?\", units - qty, product);\n\
         }}\n",
        lock.holders.join(" and ")
    )
}

fn client(lock: &LockFacts) -> String {
    let server = &lock.server;
    let mut out = format!(
        "// zoo.cfg on {}: tickTime={} (a session may ask {}..{} ms: minSessionTimeout and\n\
         // maxSessionTimeout, ZooKeeper's defaults of 2 and 20 ticks)\n",
        lock.zk,
        millis(server.tick_time_us),
        millis(server.min_session_timeout_us),
        millis(server.max_session_timeout_us)
    );
    let _ = write!(
        out,
        "// {}: one client per service, one mutex on {LOCK_PATH} (each waiter an ephemeral sequential node)\n\
         CuratorFramework zk = CuratorFrameworkFactory.builder()\n    \
         .connectString(\"{}:2181\")\n    \
         .sessionTimeoutMs({})   // expires this long after the last heartbeat: the lock is gone then\n    \
         .retryPolicy(new ExponentialBackoffRetry(1000, 3))\n    \
         .build();\n\
         zk.start();\n\
         InterProcessMutex lock = new InterProcessMutex(zk, \"{LOCK_PATH}\");\n\n",
        lock.holders.join(", "),
        lock.zk,
        millis(lock.client.session_timeout_us)
    );
    out
}

fn purchase(lock: &LockFacts, fencing: bool) -> String {
    let mut out = String::from("lock.acquire();\ntry {\n");
    if fencing {
        out.push_str(
            "    // lock-with-fencing: the token is our lock node's sequence number. We hold the lock, so\n    \
             // ours is the lowest participant node (names end in a 10-digit sequence).\n    \
             String ours = lock.getParticipantNodes().iterator().next();\n    \
             long token = Long.parseLong(ours.substring(ours.length() - 10));\n    \
             int units = stock.read(product, token);\n    \
             // ... business logic; a GC pause here can outlast the session ...\n    \
             stock.write(product, units - qty, token);   // refused if a newer holder wrote first\n",
        );
    } else {
        out.push_str(
            "    // lock (no fencing): the store takes whatever comes. A holder paused longer than the\n    \
             // session timeout has lost the lock to the next buyer, yet still writes when it wakes.\n    \
             int units = stock.read(product);\n    \
             stock.write(product, units - qty);\n",
        );
    }
    out.push_str("} finally {\n    lock.release();\n}\n");
    if fencing {
        let _ = write!(
            out,
            "\n// At the store ({}): reject a token lower than the highest already seen, on reads and\n\
             // writes, in one statement so no check-then-write gap opens:\n\
             // UPDATE stock SET units = ?, fence = ? WHERE product_id = ? AND fence <= ?\n\
             int updated = jdbc.update(\n    \
             \"UPDATE stock SET units = ?, fence = ? WHERE product_id = ? AND fence <= ?\",\n    \
             newUnits, token, product, token);\n\
             if (updated == 0) throw new StaleTokenException(token);   // a newer lock holder got there first\n",
            lock.store
        );
    } else {
        let _ = writeln!(out, "// At the store ({}): no token, no check.", lock.store);
    }
    out
}

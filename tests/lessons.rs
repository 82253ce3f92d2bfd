//! The lessons, played by a scripted reader: every step's check passes when
//! the reader does what the step asks, and does not pass when the reader
//! waits the same time without doing it. Also: every lesson file parses and
//! validates, ids are unique, every text has both languages, the ten
//! misconceptions of fidelity.md are all covered, and a lesson naming a node,
//! metric or invariant the cluster lacks is refused with a clear error.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::Cluster;
use clusterlab::lesson::{self, Act, Check, Lesson, LessonProgress, MISCONCEPTIONS, Op, Quantity, RowTest, Todo};
use clusterlab::scenario::Recording;
use clusterlab::sim::{MS, SEC, TimeUs};

/// How much virtual time passes between two looks at a step's check (the
/// page looks a few times per wall second; at its speeds that is about this).
const LOOK_EVERY_US: TimeUs = SEC;

/// How long the dawdling reader waits in vain before a replay step. Its
/// `within_ms` is long because the replay re-runs every act from 0 s; a
/// check that could pass without the replay fails `started-with` anyway.
const DAWDLE_BEFORE_REPLAY_MS: u64 = 20_000;

fn run_to(rec: &mut Recording, c: &mut Cluster, at_us: TimeUs) {
    while !rec.run_until(c, at_us, 100_000).reached {}
}

/// Runs up to `for_ms` of virtual time, looking after each slice; true as soon as the step is done.
fn run_looking(rec: &mut Recording, c: &mut Cluster, p: &mut LessonProgress, for_ms: u64) -> bool {
    let end_us = c.sim.now_us() + for_ms * MS;
    loop {
        if p.advance(c, rec).is_some() || p.done {
            return true;
        }
        if c.sim.now_us() >= end_us {
            return false;
        }
        let next = (c.sim.now_us() + LOOK_EVERY_US).min(end_us);
        run_to(rec, c, next);
    }
}

fn perform(rec: &mut Recording, c: &mut Cluster, p: &LessonProgress, at: &str) {
    let mut events = 0;
    while !p.moment_to_act(c, rec) {
        assert!(events < 500_000, "{at}: the moment to act never came: {:?}", p.current().map(|s| &s.when));
        rec.step(c);
        events += 1;
    }
    match p.todo(c).unwrap_or_else(|| panic!("{at}: the expected act cannot be done now")) {
        Todo::Command(command) => {
            rec.command(c, command.clone()).unwrap_or_else(|e| panic!("{at}: {command:?} refused: {e}"))
        }
        Todo::ReplayWith { switch, value } => {
            *c = rec.replay_with(&switch, &value).unwrap_or_else(|e| panic!("{at}: replay refused: {e}"))
        }
        Todo::Wait { .. } => {}
    }
}

/// Plays a lesson as a reader who first dawdles (waits each step's bound
/// without acting: the check must stay unmet), then does what it says.
fn play(lesson: &Lesson) {
    let seed = lesson.scenario.seed;
    let (mut rec, mut c) = Recording::start(lesson.scenario.clone());
    let mut p = LessonProgress::start(lesson.clone(), &c, &rec);
    for (i, step) in lesson.steps.iter().enumerate() {
        let at = format!("lesson `{}` step {} (seed {seed})", lesson.id, i + 1);
        let skipped_passed = match step.act {
            Act::Wait { .. } => p.advance(&c, &rec).is_some(),
            Act::ReplayWith { .. } => {
                run_looking(&mut rec, &mut c, &mut p, step.within_ms.min(DAWDLE_BEFORE_REPLAY_MS))
            }
            _ => run_looking(&mut rec, &mut c, &mut p, step.within_ms),
        };
        assert!(
            !skipped_passed,
            "{at}: the check passed without the reader's act at {} ms: {:?}",
            c.sim.now_us() / MS,
            p.explain(&c, &rec)
        );
        perform(&mut rec, &mut c, &p, &at);
        let passed = run_looking(&mut rec, &mut c, &mut p, step.within_ms);
        assert!(
            passed,
            "{at}: the check did not pass within {} ms of the act (now {} ms): {:#?}",
            step.within_ms,
            c.sim.now_us() / MS,
            p.explain(&c, &rec)
        );
        assert!(p.next_step(&c, &rec) || i + 1 == lesson.steps.len(), "{at}: could not move on");
    }
    assert!(p.finished(), "lesson `{}` (seed {seed}): not finished after its last step", lesson.id);
}

fn lesson(id: &str) -> &'static Lesson {
    lesson::by_id(id).unwrap_or_else(|| panic!("no lesson `{id}`; there are {:?}", lesson::ids()))
}

/// One test per lesson, so they run in parallel.
macro_rules! scripted {
    ($($name:ident => $id:literal,)*) => {
        $(#[test] fn $name() { play(lesson($id)); })*
        const SCRIPTED: &[&str] = &[$($id),*];
    };
}

scripted! {
    lesson_01_xiaoming_buys_a_keyboard => "xiaoming-buys-a-keyboard",
    lesson_02_double_11 => "double-11",
    lesson_03_balancing_algorithms => "balancing-algorithms",
    lesson_04_the_balancer_fails => "the-balancer-fails",
    lesson_05_failover_loses_the_session => "failover-loses-the-session",
    lesson_06_caching => "caching",
    lesson_07_dns_load_balancing => "dns-load-balancing",
    lesson_08_the_gateway => "the-gateway",
    lesson_09_registry_and_rpc => "registry-and-rpc",
    lesson_10_notification_by_message_queue => "notification-by-message-queue",
    lesson_11_overselling_and_the_lock => "overselling-and-the-lock",
    lesson_12_two_phase_commit => "two-phase-commit",
    lesson_13_sharding => "sharding",
    lesson_14_master_fails => "master-fails",
    lesson_15_two_sites_three_centres => "two-sites-three-centres",
}

#[test]
fn every_lesson_parses_validates_and_is_scripted() {
    assert_eq!(lesson::all().len(), lesson::FILES.len(), "a lesson file does not parse");
    for (name, text) in lesson::FILES {
        let parsed = lesson::validate::parse(name, text).unwrap_or_else(|e| panic!("{e}"));
        lesson::validate::check(&parsed).unwrap_or_else(|e| panic!("{e}"));
        assert!(name.ends_with(&parsed.id), "file {name} holds lesson `{}`", parsed.id);
        assert!(name.starts_with(&format!("{:02}-", parsed.number)), "file {name} holds lesson {}", parsed.number);
    }
    let mut ids = lesson::ids();
    assert_eq!(ids, SCRIPTED, "every lesson, in order, has a scripted test");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), lesson::all().len(), "lesson ids are unique");
}

#[test]
fn every_text_has_both_languages() {
    for l in lesson::all() {
        for (at, text) in l.texts() {
            assert!(!text.en.trim().is_empty() && !text.zh.trim().is_empty(), "lesson `{}` {at}", l.id);
            assert_eq!(text.pick(true), text.zh);
            assert_eq!(text.pick(false), text.en);
        }
    }
}

/// A copy of lesson 5 with one part of its first step's check replaced.
fn broken_with(check: Check) -> String {
    broken_in("failover-loses-the-session", check)
}

/// A copy of a lesson with its first step's check replaced.
fn broken_in(id: &str, check: Check) -> String {
    let mut l = lesson(id).clone();
    l.steps[0].check = check;
    lesson::validate::check(&l).expect_err("a broken lesson is refused").to_string()
}

#[test]
fn unknown_names_in_a_lesson_are_refused_naming_lesson_and_step() {
    let field = |node: &str, field: &str| Quantity::Field { node: node.into(), field: field.into() };
    let metric = |m: &str| Quantity::Metric { metric: m.into() };
    let cases = [
        (Check::State { node: "app-9".into(), state: "up".into() }, "no node `app-9`"),
        (Check::State { node: "app-1".into(), state: "asleep".into() }, "`asleep` is not a state"),
        (Check::Rose { of: metric("sessions-gone"), by: 1 }, "no metric `sessions-gone`"),
        (Check::Rose { of: field("xiaoming", "sentToHeaven"), by: 1 }, "no field `sentToHeaven`"),
        (Check::Holds { property: "no-free-lunch".into() }, "no Always property `no-free-lunch`"),
        (Check::Seen { property: "workers-bounded".into() }, "not a Sometimes property"),
        (Check::Switch { switch: "session-store".into(), value: "mongo".into() }, "`mongo` is not a value"),
    ];
    for (check, expected) in cases {
        let message = broken_with(check);
        assert!(message.contains("failover-loses-the-session") && message.contains("steps[0].check"), "{message}");
        assert!(message.contains(expected), "{message} (expected {expected:?})");
    }
}

/// A `rows` check over a node or list the cluster lacks, a field its rows
/// lack, or a negative count is refused naming lesson, step and what is wrong.
#[test]
fn bad_rows_checks_are_refused_naming_lesson_and_step() {
    let rows = |node: &str, list: &str, tests: Vec<RowTest>, count: i64| Check::Rows {
        node: node.into(),
        list: list.into(),
        tests,
        op: Op::Ge,
        count,
    };
    let text = |field: &str| vec![RowTest::Text { field: field.into(), equals: "in-service".into() }];
    let cases = [
        (rows("mycat-9", "routes", vec![], 1), "no node `mycat-9`"),
        (rows("mycat", "roots", vec![], 1), "no field `roots`"),
        (rows("db-shard1-master", "binlog", vec![], 1), "`binlog` of `db-shard1-master` is not a list of rows"),
        (rows("autoscaler", "machines", text("status"), 1), "have no field `status` (they have node, state"),
        (rows("mycat", "routes", vec![], -1), "cannot be negative"),
    ];
    for (check, expected) in cases {
        let message = broken_in("sharding", check);
        assert!(message.contains("`sharding`") && message.contains("steps[0].check"), "{message}");
        assert!(message.contains(expected), "{message} (expected {expected:?})");
    }
}

/// A row test that is none of its three shapes does not parse, and the
/// message says which shapes there are.
#[test]
fn a_malformed_row_test_does_not_parse() {
    let (_, text) = lesson::FILES.iter().find(|(name, _)| name.ends_with("sharding")).expect("lesson 13");
    let good: serde_json::Value = serde_json::json!({"field": "shards", "equals": "1"});
    let cases = [
        (r#"{"field": "shards", "equals": "1", "op": "=="}"#, "not one of the three shapes"),
        (r#"{"field": "key", "op": "=="}"#, "not one of the three shapes"),
        (r#"{"equals": "1"}"#, "needs a `field`"),
        (r#"{"field": "atUs", "since": "yesterday"}"#, "unknown variant `yesterday`"),
        (r#"{"field": "shards", "equal": "1"}"#, "unknown field `equal`"),
    ];
    for (bad, expected) in cases {
        let mut file: serde_json::Value = serde_json::from_str(text).expect("lesson 13 is JSON");
        let bad_test = serde_json::from_str(bad).expect("the bad test is JSON");
        assert!(replace_first(&mut file, &good, &bad_test), "lesson 13 has the row test this test breaks");
        let broken = serde_json::to_string_pretty(&file).expect("serialises");
        let err = lesson::validate::parse("13-sharding", &broken).expect_err(bad).to_string();
        assert!(err.contains("lesson `13-sharding`, line"), "{err}");
        assert!(err.contains(expected), "{err} (expected {expected:?})");
    }
}

/// Replaces the first value equal to `old` (depth first); true if it did.
fn replace_first(value: &mut serde_json::Value, old: &serde_json::Value, new: &serde_json::Value) -> bool {
    if value == old {
        *value = new.clone();
        return true;
    }
    match value {
        serde_json::Value::Array(list) => list.iter_mut().any(|v| replace_first(v, old, new)),
        serde_json::Value::Object(map) => map.values_mut().any(|v| replace_first(v, old, new)),
        _ => false,
    }
}

#[test]
fn every_misconception_is_exposed_by_some_lesson() {
    for (n, en, zh) in MISCONCEPTIONS {
        assert!((1..=10).contains(&n) && !en.is_empty() && !zh.is_empty());
        let by: Vec<&str> =
            lesson::all().iter().filter(|l| l.misconceptions.contains(&n)).map(|l| l.id.as_str()).collect();
        assert!(!by.is_empty(), "misconception {n} ({en}) is exposed by no lesson");
    }
}

#[test]
fn the_lessons_are_numbered_1_to_15() {
    let numbers: Vec<u32> = lesson::all().iter().map(|l| l.number).collect();
    assert_eq!(numbers, (1..=15).collect::<Vec<_>>());
}

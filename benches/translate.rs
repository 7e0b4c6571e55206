//! criterion micro-benchmarks of the translation hot paths, each as the bridge runs it per
//! event, with the bytes allocated per iteration (counting global allocator):
//!
//! - pnut stream frame → Misskey `channel` `note` frame (Misskey front),
//! - Misskey `channel` `note` frame → pnut stream frame (pnut front),
//! - id mapping, both directions, for every Misskey id format.
//!
//! `cargo bench --bench translate`; realistic objects come from the simulated servers.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use pnutkey::ids::{
    IdFormat, misskey_to_pnut, pnut_id_from_misskey, pnut_id_to_misskey, pnut_to_misskey,
};
use pnutkey::misskey::{Note, ServerMessage};
use pnutkey::pnut::{Envelope, EventData, Post, StreamEvent, Token};
use pnutkey::translate::{self, Options, Translated};

/// Counts bytes and calls of every allocation (global).
struct Counting;

static ALLOCATED: AtomicU64 = AtomicU64::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: delegates to the system allocator; only adds relaxed counters.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size as u64, Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes and allocations of one call of `f` (averaged over 1000 calls).
fn allocated_per_call(name: &str, mut f: impl FnMut()) {
    const CALLS: u64 = 1000;
    let bytes = ALLOCATED.load(Ordering::Relaxed);
    let count = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..CALLS {
        f();
    }
    let bytes = (ALLOCATED.load(Ordering::Relaxed) - bytes) / CALLS;
    let count = (ALLOCATIONS.load(Ordering::Relaxed) - count) / CALLS;
    println!("alloc/event {name}: {bytes} bytes in {count} allocations");
}

/// A realistic pnut post and Misskey note, as the simulated servers render them.
fn sample_objects() -> (Post, serde_json::Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let pnut = pnutkey::sim::pnut::SimPnut::start(Default::default())
            .await
            .expect("sim pnut");
        let misskey = pnutkey::sim::misskey::SimMisskey::start(Default::default())
            .await
            .expect("sim misskey");
        let text = "Working on the bridge today with @alice #pnutkey https://example.com/x";
        let post = pnut
            .control()
            .create_post("bob", text, None)
            .await
            .expect("post");
        let note = misskey.control().post("bob", text).await.expect("note");
        (post, note)
    })
}

/// What the Misskey front does per pnut post event (minus the per-client splice).
fn pnut_frame_to_note_frame(frame: &str, opts: &Options) -> Option<String> {
    let event: StreamEvent = serde_json::from_str(frame).ok()?;
    let posts = event.data.as_ref()?.posts().ok()?;
    let post = posts.first()?;
    let note = translate::post_to_note(post, None, opts).ok()?;
    let json = serde_json::to_string(&note).ok()?;
    Some(format!(
        r#"{{"type":"channel","body":{{"id":"1","type":"note","body":{json}}}}}"#
    ))
}

/// What the pnut front does per Misskey note event for one tool connection.
fn note_frame_to_pnut_frame(
    frame: &str,
    me: &pnutkey::pnut::User,
    token: &Token,
    opts: &Options,
) -> Option<String> {
    let ServerMessage::Channel { kind, body, .. } = ServerMessage::parse(frame).ok()? else {
        return None;
    };
    let Ok(Translated::Done(event)) =
        translate::misskey_event_to_pnut(&kind, &body, me, token, opts)
    else {
        return None;
    };
    let envelope = Envelope::event(
        event.object_id,
        1_700_000_000,
        vec!["sub-1".into()],
        event.data,
    );
    serde_json::to_string(&envelope).ok()
}

fn benches(c: &mut Criterion) {
    let opts = Options::default();
    let (post, note) = sample_objects();
    let pnut_frame = serde_json::to_string(&Envelope::event(
        post.id.clone(),
        1_700_000_000,
        vec!["sub-1".into()],
        EventData::list(std::slice::from_ref(&post)).expect("data"),
    ))
    .expect("frame");
    let note_frame = serde_json::json!({
        "type": "channel",
        "body": { "id": "upstream-1", "type": "note", "body": note }
    })
    .to_string();
    let parsed: Note = serde_json::from_value(note.clone()).expect("note");
    let me = translate::misskey_user_to_pnut(&parsed.user, &opts).expect("me");
    let token: Token =
        serde_json::from_str(include_str!("../tests/fixtures/models/pnut/token.json"))
            .expect("token fixture");
    assert!(pnut_frame_to_note_frame(&pnut_frame, &opts).is_some());
    assert!(note_frame_to_pnut_frame(&note_frame, &me, &token, &opts).is_some());

    allocated_per_call("post_to_note_frame", || {
        black_box(pnut_frame_to_note_frame(black_box(&pnut_frame), &opts));
    });
    c.bench_function("post_to_note_frame", |b| {
        b.iter(|| pnut_frame_to_note_frame(black_box(&pnut_frame), &opts))
    });
    allocated_per_call("note_to_post_frame", || {
        black_box(note_frame_to_pnut_frame(
            black_box(&note_frame),
            &me,
            &token,
            &opts,
        ));
    });
    c.bench_function("note_to_post_frame", |b| {
        b.iter(|| note_frame_to_pnut_frame(black_box(&note_frame), &me, &token, &opts))
    });

    allocated_per_call("pnut_id_to_misskey", || {
        black_box(pnut_id_to_misskey(black_box("2384"), 8).ok());
    });
    c.bench_function("pnut_id_to_misskey", |b| {
        b.iter(|| pnut_id_to_misskey(black_box("2384"), 8))
    });
    c.bench_function("pnut_id_from_misskey", |b| {
        b.iter(|| pnut_id_from_misskey(black_box("00002384")))
    });
    for (format, misskey_id) in [
        (IdFormat::Aid, "9zzz0000ab"),
        (IdFormat::Aidx, "9zzz0000abcd0001"),
        (IdFormat::Meid, "0123456789abcdef01234567"),
        (IdFormat::Meidg, "g123456789abcdef01234567"),
        (IdFormat::Objectid, "0123456789abcdef01234567"),
        (IdFormat::Ulid, "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
    ] {
        let back = misskey_to_pnut(misskey_id, format).expect("valid sample id");
        assert_eq!(pnut_to_misskey(&back, format).as_deref(), Ok(misskey_id));
        let name = format!("{format:?}").to_lowercase();
        allocated_per_call(&format!("misskey_to_pnut/{name}"), || {
            black_box(misskey_to_pnut(black_box(misskey_id), format).ok());
        });
        c.bench_function(&format!("misskey_to_pnut/{name}"), |b| {
            b.iter(|| misskey_to_pnut(black_box(misskey_id), format))
        });
        allocated_per_call(&format!("pnut_to_misskey/{name}"), || {
            black_box(pnut_to_misskey(black_box(&back), format).ok());
        });
        c.bench_function(&format!("pnut_to_misskey/{name}"), |b| {
            b.iter(|| pnut_to_misskey(black_box(&back), format))
        });
    }
}

criterion_group!(translate_benches, benches);
criterion_main!(translate_benches);
